export { TicketStubsService, consumeTicketStub, normaliseStubCode, stubTag } from './ticket-stubs.service';
export { ticketStubsRoutes, TICKET_STUB_UPLOAD_PATH } from './ticket-stubs.routes';
