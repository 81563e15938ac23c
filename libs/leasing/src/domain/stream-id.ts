/**
 * A stream's id, as every entry point accepts it. It names the stream's recording directory
 * under RECORD_DIR, so `.` and `..` (the directory itself and its parent) are never one.
 */
export const STREAM_ID = /^(?!\.{1,2}$)[A-Za-z0-9_.:-]{1,128}$/;

export const STREAM_ID_RULE = '1-128 characters of A-Za-z0-9_.:-, and not "." or ".."';
