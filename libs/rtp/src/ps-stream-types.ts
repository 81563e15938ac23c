/**
 * PSM stream_type values seen in GB28181 program streams, and the codec names we report.
 *
 * Values checked against ireader/media-server `libmpeg/include/mpeg-proto.h` (enum
 * EPSI_STREAM_TYPE, commit 3239d0548c767c9d2bf51a826fac71750de6ee16), which is the PS muxer
 * ZLMediaKit uses and which cites GB/T 25724-2010 (SVAC) for the 0x80..0x9B private values, and
 * against ZLMediaKit `src/Rtp/Decoder.cpp`, which carries the same table. The ISO values come
 * from ISO/IEC 13818-1 Table 2-34; 0x80..0x9B are "user private" there and GB28181 assigns
 * them (the fixtures' PSM carries 0x90 for G.711 A-law, confirming the A-law/μ-law order).
 */
export type VideoCodec = 'h264' | 'h265' | 'svac' | 'mpeg4';
export type AudioCodec = 'aac' | 'g711a' | 'g711u' | 'g722' | 'g723' | 'g729' | 'svac';

export const StreamType = {
  mpeg4: 0x10,
  h264: 0x1b,
  h265: 0x24,
  svacVideo: 0x80,
  aac: 0x0f,
  g711a: 0x90,
  g711u: 0x91,
  g722: 0x92,
  g723: 0x93,
  g729: 0x99,
  svacAudio: 0x9b,
} as const;

export function videoCodecOf(streamType: number): VideoCodec | null {
  switch (streamType) {
    case StreamType.h264:
      return 'h264';
    case StreamType.h265:
      return 'h265';
    case StreamType.svacVideo:
      return 'svac';
    case StreamType.mpeg4:
      return 'mpeg4';
    default:
      return null;
  }
}

export function audioCodecOf(streamType: number): AudioCodec | null {
  switch (streamType) {
    case StreamType.aac:
      return 'aac';
    case StreamType.g711a:
      return 'g711a';
    case StreamType.g711u:
      return 'g711u';
    case StreamType.g722:
      return 'g722';
    case StreamType.g723:
      return 'g723';
    case StreamType.g729:
      return 'g729';
    case StreamType.svacAudio:
      return 'svac';
    default:
      return null;
  }
}

/** PES stream_id ranges (ISO/IEC 13818-1 Table 2-22). */
export function isVideoStreamId(id: number): boolean {
  return (id & 0xf0) === 0xe0;
}

export function isAudioStreamId(id: number): boolean {
  return (id & 0xe0) === 0xc0;
}
