export { ApplicationsService, contractKeyOf, ratioShareFen } from './applications.service';
export { applicationsRoutes, APPLICATION_UPLOAD_PATH } from './applications.routes';
export { readMultipart, type MultipartBody, type MultipartLimits, type UploadedFile } from './multipart';
export { checkAttachment, sniffMediaType, FileStore } from './attachments';
