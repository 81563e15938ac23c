import { STREAM_ID, STREAM_ID_RULE } from '@app/leasing';
import { Matches } from 'class-validator';

/** `streamId` holds to the one rule of libs/leasing, and a refusal states that rule. */
export const IsStreamId = () => Matches(STREAM_ID, { message: `streamId must be ${STREAM_ID_RULE}` });
