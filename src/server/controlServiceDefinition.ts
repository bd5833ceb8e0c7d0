import { ControlServiceService, SubscribeResponse } from '../gen/actiongate/v1/control_service.js';

/**
 * ControlService as generated, except that Subscribe's response serializer
 * passes through messages already encoded (see liveSignalBytes), so one
 * broadcast signal is encoded once for all its streams.
 */
export const CONTROL_SERVICE_DEFINITION = {
  ...ControlServiceService,
  subscribe: {
    ...ControlServiceService.subscribe,
    responseSerialize: (value: SubscribeResponse | Buffer): Buffer =>
      Buffer.isBuffer(value) ? value : Buffer.from(SubscribeResponse.encode(value).finish()),
  },
} as typeof ControlServiceService;
