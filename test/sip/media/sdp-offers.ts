/**
 * SDP offers as real devices and trunks send them. Written from knowledge of
 * each device's typical SDP (origin user, session name, codec order, PT
 * numbers, attributes) and from public examples in issue threads (e.g.
 * RestComm/media-core#61: c= at both levels, lower-case codec names, two
 * telephone-events; sipwise/rtpengine#2044: telephone-event/48000 next to
 * /8000, a=rtcp). Addresses are documentation ranges; nothing is a verbatim
 * capture.
 */
const crlf = (lines: string[]): string => lines.join('\r\n') + '\r\n';

/** Twilio Elastic SIP Trunking origination: PCMU then PCMA (Twilio docs), telephone-event 101. */
export const twilioTrunk = crlf([
  'v=0', 'o=root 1015239917 1015239917 IN IP4 198.51.100.21', 's=Twilio Media Gateway', 'c=IN IP4 198.51.100.21', 't=0 0',
  'm=audio 13858 RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16', 'a=ptime:20', 'a=maxptime:150', 'a=sendrecv',
]);

/** Telnyx: G.722 and G.729 before G.711, a=rtcp with address. */
export const telnyx = crlf([
  'v=0', 'o=Telnyx 1697000000 1697000001 IN IP4 198.51.100.40', 's=Telnyx SIP Media', 'c=IN IP4 198.51.100.40', 't=0 0',
  'm=audio 30522 RTP/AVP 9 18 0 8 101', 'a=rtpmap:9 G722/8000', 'a=rtpmap:18 G729/8000', 'a=fmtp:18 annexb=no',
  'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16',
  'a=rtcp:30523 IN IP4 198.51.100.40', 'a=ptime:20', 'a=sendrecv',
]);

/** Asterisk / FreePBX (chan_pjsip), European install: PCMA first, GSM, maxptime. */
export const asteriskPcmaFirst = crlf([
  'v=0', 'o=- 1938 1940 IN IP4 192.0.2.15', 's=Asterisk', 'c=IN IP4 192.0.2.15', 't=0 0',
  'm=audio 14386 RTP/AVP 8 3 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:3 GSM/8000', 'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16', 'a=ptime:20', 'a=maxptime:150', 'a=sendrecv',
]);

/** Asterisk putting us on hold (re-INVITE): sendonly, version bumped. */
export const asteriskHold = asteriskPcmaFirst.replace('1938 1940', '1938 1941').replace('a=sendrecv', 'a=sendonly');

/** Cisco CUBE: session-level c= only, telephone-event at 100, CN at 19. */
export const ciscoCube = crlf([
  'v=0', 'o=CiscoSystemsSIP-GW-UserAgent 2447 7181 IN IP4 192.0.2.50', 's=SIP Call', 'c=IN IP4 192.0.2.50', 't=0 0',
  'm=audio 16384 RTP/AVP 0 100 19', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:100 telephone-event/8000', 'a=fmtp:100 0-15',
  'a=rtpmap:19 CN/8000', 'a=ptime:20',
]);

/** Cisco CUBE configured for G.729 only: nothing we can do. */
export const ciscoG729Only = crlf([
  'v=0', 'o=CiscoSystemsSIP-GW-UserAgent 8831 2269 IN IP4 192.0.2.50', 's=SIP Call', 'c=IN IP4 192.0.2.50', 't=0 0',
  'm=audio 16386 RTP/AVP 18 101', 'c=IN IP4 192.0.2.50', 'a=rtpmap:18 G729/8000', 'a=fmtp:18 annexb=no',
  'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20',
]);

/** FreeSWITCH: opus first, CN, a=rtcp, and a ptime of 30 ms. */
export const freeswitchPtime30 = crlf([
  'v=0', 'o=FreeSWITCH 1700000000 1700000001 IN IP4 203.0.113.77', 's=FreeSWITCH', 'c=IN IP4 203.0.113.77', 't=0 0',
  'm=audio 24000 RTP/AVP 102 0 8 101 13', 'a=rtpmap:102 opus/48000/2', 'a=fmtp:102 useinbandfec=1; maxplaybackrate=16000',
  'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16',
  'a=rtpmap:13 CN/8000', 'a=ptime:30', 'a=sendrecv', 'a=rtcp:24001 IN IP4 203.0.113.77',
]);

/** A media-server offer with c= at both levels (media level wins), lower-case names, two telephone-events. */
export const mediaServerTwoLevels = crlf([
  'v=0', 'o=- 1448892712200 1 IN IP4 192.0.2.1', 's=Media Server', 'c=IN IP4 192.0.2.1', 't=0 0',
  'm=audio 37402 RTP/AVP 8 0 18 101 126', 'c=IN IP4 192.0.2.99', 'a=sendrecv', 'a=rtcp:37403 IN IP4 192.0.2.99', 'a=ptime:20',
  'a=rtpmap:0 pcmu/8000', 'a=rtpmap:101 telephone-event/8000', 'a=rtpmap:18 g729/8000', 'a=rtpmap:8 pcma/8000',
  'a=rtpmap:126 telephone-event/8000',
]);

/** An SBC transcoding to opus: telephone-event/48000 at 97 next to telephone-event/8000 at 96; rtcp-mux. */
export const sbcRtcpMux = crlf([
  'v=0', 'o=- 3800000000 3800000000 IN IP4 198.51.100.9', 's=-', 't=0 0',
  'm=audio 11492 RTP/AVP 8 111 97 96', 'c=IN IP4 198.51.100.9', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:111 opus/48000/2',
  'a=rtpmap:97 telephone-event/48000', 'a=fmtp:97 0-15', 'a=rtpmap:96 telephone-event/8000', 'a=fmtp:96 0-16',
  'a=rtcp-mux', 'a=ptime:20', 'a=sendrecv',
]);

/** Softphone (Linphone/Zoiper-like) with video: audio then video; static PTs without rtpmap. */
export const softphoneWithVideo = crlf([
  'v=0', 'o=jdoe 2890 2890 IN IP4 192.0.2.200', 's=Talk', 'c=IN IP4 192.0.2.200', 't=0 0',
  'm=audio 7078 RTP/AVP 96 0 8 101', 'a=rtpmap:96 opus/48000/2', 'a=rtpmap:101 telephone-event/8000',
  'm=video 9078 RTP/AVP 96 97', 'a=rtpmap:96 VP8/90000', 'a=rtpmap:97 H264/90000', 'a=fmtp:97 profile-level-id=42801F',
]);

/** RFC 2543-style hold: c=0.0.0.0 (older Cisco/Avaya gear still does this). */
export const oldStyleHold = crlf([
  'v=0', 'o=- 5 6 IN IP4 192.0.2.70', 's=-', 'c=IN IP4 0.0.0.0', 't=0 0',
  'm=audio 20000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15',
]);

/** SRTP only (e.g. ElevenLabs SIP with media_encryption=required): RTP/SAVP with a=crypto. */
export const srtpOnly = crlf([
  'v=0', 'o=- 7 7 IN IP4 198.51.100.3', 's=-', 'c=IN IP4 198.51.100.3', 't=0 0',
  'm=audio 5004 RTP/SAVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:32', 'a=sendrecv',
]);

/** Best-effort SRTP (two audio lines, SAVP then AVP), plus a T.38 image line: only the plain audio line is taken. */
export const bestEffortSrtpAndFax = crlf([
  'v=0', 'o=- 9 9 IN IP4 198.51.100.4', 's=-', 'c=IN IP4 198.51.100.4', 't=0 0',
  'm=audio 6000 RTP/SAVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000',
  'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz',
  'm=audio 6002 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000',
  'm=image 6004 udptl t38', 'a=T38FaxVersion:0',
]);

/** IPv6 carrier interconnect, recvonly (announcement leg). */
export const ipv6RecvOnly = crlf([
  'v=0', 'o=- 11 11 IN IP6 2001:db8::10', 's=-', 'c=IN IP6 2001:db8::10', 't=0 0',
  'm=audio 30000 RTP/AVP 8 101', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=recvonly',
]);
