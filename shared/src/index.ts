export * from './problems';
export * from './ids';
export * from './money';
export * from './reference';
export * from './common/common.schemas';
export * from './identity/identity.schemas';
export * from './identity/identity.types';
