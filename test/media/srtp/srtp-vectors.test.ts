import { describe, expect, it } from 'vitest';
import { aesCmKeystream, deriveSessionKey, deriveSessionKeys, LABEL, packetIv } from '../../../media/srtp/srtp-kdf.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('RFC 3711 Appendix B test vectors', () => {
  it('B.2 AES-CM keystream: IV from salt, SSRC 0, index 0; blocks 0-2 and 0xFEFF-0xFF01', () => {
    const sessionKey = hex('2B7E151628AED2A6ABF7158809CF4F3C');
    const iv = packetIv(Buffer.alloc(16), hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD'), 0, 0);
    expect(iv.toString('hex').toUpperCase()).toBe('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000');
    const ks = aesCmKeystream(sessionKey, iv, 0xff02 * 16);
    const block = (i: number): string => ks.subarray(i * 16, i * 16 + 16).toString('hex').toUpperCase();
    expect(block(0)).toBe('E03EAD0935C95E80E166B16DD92B4EB4');
    expect(block(1)).toBe('D23513162B02D0F72A43A2FE4A5F97AB');
    expect(block(2)).toBe('41E95B3BB0A2E8DD477901E4FCA894C0');
    expect(block(0xfeff)).toBe('EC8CDF7398607CB0F2D21675EA9EA1E4');
    expect(block(0xff00)).toBe('362B7C3C6773516318A077D7FC5073AE');
    expect(block(0xff01)).toBe('6A2CC3787889374FBEB4C81B17BA6C44');
  });

  it('B.3 key derivation: cipher key, cipher salt, auth key (the full 94 bytes the RFC lists)', () => {
    const masterKey = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
    const masterSalt = hex('0EC675AD498AFEEBB6960B3AABE6');
    const keys = deriveSessionKeys(masterKey, masterSalt, false);
    expect(keys.encryption.toString('hex').toUpperCase()).toBe('C61E7A93744F39EE10734AFE3FF7A087');
    expect(keys.salt.toString('hex').toUpperCase()).toBe('30CBBC08863D8C85D49DB34A9AE1');
    expect(keys.auth.toString('hex').toUpperCase()).toBe('CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4');
    expect(deriveSessionKey(masterKey, masterSalt, LABEL.rtpAuth, 94).toString('hex').toUpperCase()).toBe(
      'CEBE321F6FF7716B6FD4AB49AF256A15' + '6D38BAA48F0A0ACF3C34E2359E6CDBCE' + 'E049646C43D9327AD175578EF7227098'
      + '6371C10C9A369AC2F94A8C5FBCDDDC25' + '6D6E919A48B610EF17C2041E47403576' + '6B68642C59BBFC2F34DB60DBDFB2',
    );
  });

  it('packet IV puts SSRC in bytes 4-7 and the 48-bit index in bytes 8-13 (§4.1.1)', () => {
    const iv = packetIv(Buffer.alloc(16), Buffer.alloc(14), 0x12345678, 0x9abc_def0_0203);
    expect(iv.toString('hex')).toBe('00000000123456789abcdef002030000');
  });
});
