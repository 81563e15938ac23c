/** A stream's id, as every entry point accepts it. */
export const STREAM_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

export const STREAM_ID_RULE = '1-128 characters of A-Za-z0-9_.:-';
