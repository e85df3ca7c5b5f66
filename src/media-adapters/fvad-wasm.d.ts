// @echogarden/fvad-wasm ships no types. This declares only what webrtc-vad.ts
// uses: the Emscripten module factory and the libfvad C API (fvad.h).
declare module '@echogarden/fvad-wasm' {
  export interface FvadModule {
    /** Current view of WASM memory; replaced whenever memory grows. */
    readonly HEAP16: Int16Array;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    /** Returns a handle, or 0 when out of memory. */
    _fvad_new(): number;
    _fvad_free(handle: number): void;
    _fvad_reset(handle: number): void;
    /** 0 on success, -1 for a mode outside 0..3. */
    _fvad_set_mode(handle: number, mode: number): number;
    /** 0 on success, -1 for a rate other than 8000/16000/32000/48000. */
    _fvad_set_sample_rate(handle: number, rate: number): number;
    /** 1 voiced, 0 unvoiced, -1 for a length other than 10/20/30 ms. */
    _fvad_process(handle: number, samplesPtr: number, length: number): number;
  }
  const createFvadModule: (overrides?: object) => Promise<FvadModule>;
  export default createFvadModule;
}
