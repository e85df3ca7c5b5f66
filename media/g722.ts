// TEMPORARY SHIM (wip/sip only): the real G.722 codec comes from wip/g722 with this API.
// It exists so the SIP integration compiles; it is deleted when `git merge main` brings the codec.
export class G722Encoder {
  encode(_pcm16k: Int16Array, _out?: Uint8Array): Uint8Array {
    throw new Error('G.722 encoder not available yet (temporary shim)');
  }
}
export class G722Decoder {
  decode(_bytes: Uint8Array, _out?: Int16Array): Int16Array {
    throw new Error('G.722 decoder not available yet (temporary shim)');
  }
}
