// The public surface of the cards layer.
export * from './render';
export * from './text';
export * from './format';
export * from './commands';
export { cardAttachment } from './attachment';
export * from './invitation-card';
export * from './welcome-card';
export * from './help-card';
export * from './status-card';
export * from './reply-choice-card';
