import { AudioCodec, audioCodecOf, isAudioStreamId, isVideoStreamId, VideoCodec, videoCodecOf } from './ps-stream-types';

/**
 * Streaming MPEG-2 Program Stream prober (ISO/IEC 13818-1 2.5). It is fed RTP payloads in
 * order, as offsets into buffers it does not keep, and finds pack headers, system headers,
 * the PSM (codecs) and PES headers (PTS/DTS, frame counts, keyframes). PES payload bytes are
 * skipped by counting; the only copy is a small carry buffer for a header that straddles two
 * payloads. It never throws: bytes it cannot make sense of are skipped until the next start
 * code and counted in `junkBytes`.
 *
 * Frame counting: one frame per PES start on a video (0xE0-0xEF) or audio (0xC0-0xDF) stream,
 * except that a PES whose PTS equals the previous PES's PTS, or which has no PTS after one
 * that had one, continues the previous frame (muxers split frames larger than 64 KB that way).
 * A PES of length 0 (allowed for video) runs to the next PS start code and counts once.
 *
 * Keyframes: a new video frame whose first NAL units (up to the first slice, within 1 KB)
 * include an H.264 SPS/IDR or an H.265 VPS/SPS/IRAP. The "pack with system header + PSM
 * before video" rule alone over-counts on ZLMediaKit streams: it repeats the PSM every 30
 * packs, so the main fixture has 19 such packs but only 8 IDR frames. That rule is still used
 * for video codecs we do not parse (SVAC, MPEG-4) and is counted in `psmVideoPacks`.
 */

const ST_SCAN = 0;
const ST_ID = 1;
const ST_GATHER = 2;
const ST_SKIP = 3;
const ST_PAYLOAD = 4;

const G_PACK = 0;
const G_PACK_STUFFING = 1;
const G_SYSTEM_LENGTH = 2;
const G_PSM_LENGTH = 3;
const G_PSM = 4;
const G_PES_LENGTH = 5;
const G_PES_FLAGS = 6;
const G_PES_TIMES = 7;

/** ISO/IEC 13818-1 2.5.4.2: program_stream_map_length is at most 0x3FA (1018). */
const CARRY_BYTES = 1024;
/** How far into a video frame we look for the NAL units that make it a keyframe. */
const SNIFF_BYTES = 1024;
const NO_PTS = -1;

export interface PsProbeSnapshot {
  videoCodec: VideoCodec | null;
  audioCodec: AudioCodec | null;
  videoStreamType: number;
  audioStreamType: number;
  packs: number;
  systemHeaders: number;
  psms: number;
  psmVideoPacks: number;
  videoFrames: number;
  audioFrames: number;
  keyframes: number;
  lastVideoPts: number;
  lastVideoDts: number;
  lastAudioPts: number;
  junkBytes: number;
  discontinuities: number;
  bytes: number;
}

export class PsProbe {
  videoCodec: VideoCodec | null = null;
  audioCodec: AudioCodec | null = null;
  /** PSM stream_type of the video/audio stream, 0 until a PSM names one. */
  videoStreamType = 0;
  audioStreamType = 0;
  packs = 0;
  systemHeaders = 0;
  psms = 0;
  /** Packs carrying a system header and a PSM before a video PES. */
  psmVideoPacks = 0;
  videoFrames = 0;
  audioFrames = 0;
  keyframes = 0;
  /** 33-bit 90 kHz times of the latest frames, -1 until seen. */
  lastVideoPts = NO_PTS;
  lastVideoDts = NO_PTS;
  lastAudioPts = NO_PTS;
  /** Bytes skipped while looking for a start code where one was due. */
  junkBytes = 0;
  discontinuities = 0;
  bytes = 0;

  private state = ST_SCAN;
  private zeros = 0;
  /** Inside a length-0 video PES: its payload runs until the next PS start code. */
  private unbounded = false;
  private streamId = 0;

  private gatherKind = 0;
  private need = 0;
  private readonly carry = Buffer.alloc(CARRY_BYTES);
  private carryLen = 0;
  /** Where the gathered bytes are: the input itself when they were all there, or the carry. */
  private src: Buffer = this.carry;
  private srcAt = 0;

  private skipLeft = 0;
  private afterSkip = ST_SCAN;
  private payloadLeft = 0;
  private pesLength = 0;
  private pesHeaderLength = 0;
  private pesTimeFlags = 0;

  private packSystemHeader = false;
  private packPsm = false;
  private videoHadPts = false;
  private audioHadPts = false;

  private sniffLeft = 0;
  private sniffZeros = 0;
  private sniffNalNext = false;

  /** Consumes `buf[start..end)`, the next bytes of the program stream. */
  push(buf: Buffer, start: number, end: number): void {
    this.bytes += end - start;
    let pos = start;
    while (pos < end) {
      switch (this.state) {
        case ST_SCAN:
          pos = this.scan(buf, pos, end);
          break;
        case ST_ID:
          this.onStartCode(buf[pos++]);
          break;
        case ST_GATHER:
          pos = this.gather(buf, pos, end);
          break;
        case ST_SKIP: {
          const n = Math.min(end - pos, this.skipLeft);
          pos += n;
          this.skipLeft -= n;
          if (this.skipLeft === 0) this.state = this.afterSkip;
          break;
        }
        default: {
          const n = Math.min(end - pos, this.payloadLeft);
          if (this.sniffLeft > 0) this.sniff(buf, pos, pos + Math.min(n, this.sniffLeft));
          pos += n;
          this.payloadLeft -= n;
          if (this.payloadLeft === 0) this.state = ST_SCAN;
        }
      }
    }
  }

  /**
   * Bytes were lost before the next push (an RTP sequence gap): whatever header or payload
   * was in progress is abandoned and parsing restarts at the next start code.
   */
  discontinuity(): void {
    this.discontinuities++;
    this.state = ST_SCAN;
    this.zeros = 0;
    this.carryLen = 0;
    this.unbounded = false;
    this.sniffLeft = 0;
  }

  snapshot(): PsProbeSnapshot {
    return {
      videoCodec: this.videoCodec,
      audioCodec: this.audioCodec,
      videoStreamType: this.videoStreamType,
      audioStreamType: this.audioStreamType,
      packs: this.packs,
      systemHeaders: this.systemHeaders,
      psms: this.psms,
      psmVideoPacks: this.psmVideoPacks,
      videoFrames: this.videoFrames,
      audioFrames: this.audioFrames,
      keyframes: this.keyframes,
      lastVideoPts: this.lastVideoPts,
      lastVideoDts: this.lastVideoDts,
      lastAudioPts: this.lastAudioPts,
      junkBytes: this.junkBytes,
      discontinuities: this.discontinuities,
      bytes: this.bytes,
    };
  }

  /** Finds the next `00 00 01`; zeros are counted across calls so a split start code is found. */
  private scan(buf: Buffer, pos: number, end: number): number {
    while (pos < end) {
      if (this.zeros === 0) {
        // Jump to the next zero natively; the bytes in between cannot start a start code.
        let next = buf.indexOf(0, pos);
        if (next < 0 || next > end) next = end;
        if (!this.unbounded) this.junkBytes += next - pos;
        pos = next;
        if (pos === end) break;
      }
      const b = buf[pos++];
      if (b === 0) {
        this.zeros++;
      } else {
        if (b === 1 && this.zeros >= 2) {
          this.zeros = 0;
          this.state = ST_ID;
          return pos;
        }
        if (!this.unbounded) this.junkBytes += this.zeros + 1;
        this.zeros = 0;
      }
    }
    return pos;
  }

  private onStartCode(id: number): void {
    this.state = ST_SCAN;
    // ids below 0xB9 are not PS start codes: inside a length-0 video PES they are the
    // codec's own start codes (NAL headers have the top bit clear), so keep scanning; the
    // scan already found them, so that is where a length-0 frame's NAL types are read.
    if (id < 0xb9) {
      this.zeros = id === 0 ? 1 : 0;
      if (!this.unbounded) this.junkBytes += 4;
      else if (this.sniffLeft > 0) this.classifyNal(id);
      return;
    }
    this.unbounded = false;
    this.sniffLeft = 0;
    this.streamId = id;
    if (id === 0xba) this.startGather(G_PACK, 8);
    else if (id === 0xbb) this.startGather(G_SYSTEM_LENGTH, 2);
    else if (id === 0xbc) this.startGather(G_PSM_LENGTH, 2);
    else if (id !== 0xb9) this.startGather(G_PES_LENGTH, 2);
  }

  private startGather(kind: number, need: number): void {
    this.gatherKind = kind;
    this.need = need;
    this.carryLen = 0;
    this.state = ST_GATHER;
    if (need === 0) this.onGathered();
  }

  /** Collects `need` bytes: read in place when they are all in this input, else via the carry. */
  private gather(buf: Buffer, pos: number, end: number): number {
    if (this.carryLen === 0 && end - pos >= this.need) {
      this.src = buf;
      this.srcAt = pos;
      pos += this.need;
    } else {
      const n = Math.min(end - pos, this.need - this.carryLen);
      buf.copy(this.carry, this.carryLen, pos, pos + n);
      this.carryLen += n;
      pos += n;
      if (this.carryLen < this.need) return pos;
      this.src = this.carry;
      this.srcAt = 0;
    }
    this.carryLen = 0;
    this.onGathered();
    return pos;
  }

  private skip(bytes: number, then: number): void {
    this.skipLeft = bytes;
    this.afterSkip = then;
    this.state = bytes > 0 ? ST_SKIP : then;
  }

  private onGathered(): void {
    const s = this.src;
    const at = this.srcAt;
    switch (this.gatherKind) {
      case G_PACK:
        this.packs++;
        this.packSystemHeader = false;
        this.packPsm = false;
        // MPEG-2 packs ('01' marker) have 2 more bytes, the last holding the stuffing length;
        // MPEG-1 packs ('0010') end here.
        if ((s[at] & 0xc0) === 0x40) this.startGather(G_PACK_STUFFING, 2);
        else this.state = ST_SCAN;
        return;
      case G_PACK_STUFFING:
        return this.skip(s[at + 1] & 0x07, ST_SCAN);
      case G_SYSTEM_LENGTH:
        this.systemHeaders++;
        this.packSystemHeader = true;
        return this.skip(readU16(s, at), ST_SCAN);
      case G_PSM_LENGTH: {
        const length = readU16(s, at);
        if (length <= CARRY_BYTES) return this.startGather(G_PSM, length);
        return this.skip(length, ST_SCAN);
      }
      case G_PSM:
        this.readPsm(s, at, at + this.need);
        this.state = ST_SCAN;
        return;
      case G_PES_LENGTH:
        return this.onPesLength(readU16(s, at));
      case G_PES_FLAGS:
        return this.onPesFlags(s[at], s[at + 1], s[at + 2]);
      default:
        return this.onPesTimes(s, at);
    }
  }

  private onPesLength(length: number): void {
    this.pesLength = length;
    const id = this.streamId;
    // ISO/IEC 13818-1 Table 2-21: these streams have no optional PES header.
    const bare = id === 0xbe || id === 0xbf || id === 0xf0 || id === 0xf1 || id === 0xf2 || id === 0xf8 || id === 0xff;
    if (bare || (length > 0 && length < 3)) return this.skip(length, ST_SCAN);
    this.startGather(G_PES_FLAGS, 3);
  }

  private onPesFlags(first: number, flags: number, headerLength: number): void {
    if ((first & 0xc0) !== 0x80) {
      // Not an MPEG-2 PES header (MPEG-1 syntax or garbage): skip it whole, uncounted.
      if (this.pesLength === 0) this.state = ST_SCAN;
      else this.skip(this.pesLength - 3, ST_SCAN);
      return;
    }
    this.pesHeaderLength = headerLength;
    this.pesTimeFlags = flags >> 6;
    const timeBytes = this.pesTimeFlags === 3 ? 10 : this.pesTimeFlags === 2 ? 5 : 0;
    this.startGather(G_PES_TIMES, Math.min(timeBytes, headerLength));
  }

  private onPesTimes(s: Buffer, at: number): void {
    const pts = this.need >= 5 ? readTimestamp(s, at) : NO_PTS;
    const dts = this.need >= 10 ? readTimestamp(s, at + 5) : pts;
    const id = this.streamId;
    if (isVideoStreamId(id)) this.onVideoPes(pts, dts);
    else if (isAudioStreamId(id)) this.onAudioPes(pts);

    const restOfHeader = this.pesHeaderLength - this.need;
    if (this.pesLength === 0) {
      this.unbounded = true;
      return this.skip(restOfHeader, ST_SCAN);
    }
    this.payloadLeft = this.pesLength - 3 - this.pesHeaderLength;
    if (this.payloadLeft < 0) return this.skip(0, ST_SCAN);
    this.skip(restOfHeader, this.payloadLeft > 0 ? ST_PAYLOAD : ST_SCAN);
  }

  private onVideoPes(pts: number, dts: number): void {
    const newFrame = pts === NO_PTS ? !this.videoHadPts : pts !== this.lastVideoPts;
    this.videoHadPts = pts !== NO_PTS;
    if (!newFrame) return;
    this.videoFrames++;
    this.lastVideoPts = pts;
    this.lastVideoDts = dts;
    const psmPack = this.packSystemHeader && this.packPsm;
    if (psmPack) this.psmVideoPacks++;
    this.packSystemHeader = false;
    this.packPsm = false;
    if (this.videoCodec === 'h264' || this.videoCodec === 'h265') {
      this.sniffLeft = SNIFF_BYTES;
      this.sniffZeros = 0;
      this.sniffNalNext = false;
    } else if (psmPack) {
      this.keyframes++;
    }
  }

  private onAudioPes(pts: number): void {
    const newFrame = pts === NO_PTS ? !this.audioHadPts : pts !== this.lastAudioPts;
    this.audioHadPts = pts !== NO_PTS;
    if (!newFrame) return;
    this.audioFrames++;
    this.lastAudioPts = pts;
  }

  /** Looks at NAL headers in the first bytes of a video frame without consuming anything. */
  private sniff(buf: Buffer, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const b = buf[i];
      if (this.sniffNalNext) {
        this.sniffNalNext = false;
        if (this.classifyNal(b)) return;
      }
      if (b === 0) {
        this.sniffZeros++;
      } else {
        if (b === 1 && this.sniffZeros >= 2) this.sniffNalNext = true;
        this.sniffZeros = 0;
      }
    }
    this.sniffLeft = Math.max(0, this.sniffLeft - (to - from));
  }

  /** True once the frame is decided: a keyframe NAL, a non-key slice, or a PS start code. */
  private classifyNal(header: number): boolean {
    let key = false;
    let slice = false;
    if (header & 0x80) {
      slice = true; // forbidden_zero_bit set: this is the next PS start code, not a NAL
    } else if (this.videoCodec === 'h265') {
      const type = (header >> 1) & 0x3f;
      key = (type >= 16 && type <= 21) || type === 32 || type === 33;
      slice = type < 32;
    } else {
      const type = header & 0x1f;
      key = type === 5 || type === 7;
      slice = type >= 1 && type <= 5;
    }
    if (key) this.keyframes++;
    if (key || slice) this.sniffLeft = 0;
    return key || slice;
  }

  /** ISO/IEC 13818-1 2.5.4.1 program_stream_map, from after its length field. */
  private readPsm(s: Buffer, at: number, end: number): void {
    if (end - at < 6) return;
    this.psms++;
    this.packPsm = true;
    let pos = at + 4 + readU16(s, at + 2);
    if (pos + 2 > end) return;
    const mapEnd = Math.min(end, pos + 2 + readU16(s, pos));
    pos += 2;
    while (pos + 4 <= mapEnd) {
      const type = s[pos];
      const id = s[pos + 1];
      const video = videoCodecOf(type);
      const audio = audioCodecOf(type);
      if (video !== null && (isVideoStreamId(id) || this.videoStreamType === 0)) {
        this.videoCodec = video;
        this.videoStreamType = type;
      } else if (audio !== null && (isAudioStreamId(id) || this.audioStreamType === 0)) {
        this.audioCodec = audio;
        this.audioStreamType = type;
      }
      pos += 4 + readU16(s, pos + 2);
    }
  }
}

function readU16(buf: Buffer, at: number): number {
  return (buf[at] << 8) | buf[at + 1];
}

/** 33-bit PTS/DTS from its 5-byte PES encoding (marker bits dropped). */
function readTimestamp(s: Buffer, at: number): number {
  const high = (s[at] >> 1) & 0x07;
  const low = ((s[at + 1] << 22) | ((s[at + 2] >> 1) << 15) | (s[at + 3] << 7) | (s[at + 4] >> 1)) >>> 0;
  return high * 0x40000000 + low;
}
