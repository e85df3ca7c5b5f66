;; Half-band 2:1 resampler kernels in WebAssembly SIMD (f64x2).
;;
;; Source of media/wasm/halfband-kernels.wasm.ts (regenerate with
;; `npm run build:wasm`; test/media/simd-kernels.test.ts checks the committed
;; bytes are this file's compilation).
;;
;; Bit-exact with the JavaScript kernels in media/fir-kernels.ts
;; (halfbandDecimateKernel / halfbandInterpolateKernel): each SIMD lane holds
;; one output and performs exactly the scalar kernel's IEEE-754 double
;; operations in the scalar kernel's order (accumulator a0 over the even side
;; taps, a1 over the odd ones, the same pre-add of mirrored samples, the same
;; final sum). wasm f64 arithmetic is IEEE round-to-nearest like JavaScript's
;; and core SIMD has no fused multiply-add, so every sum is identical bit for
;; bit. Rounding is Math.round (ties toward +inf: r = ceil(x), minus 1 when
;; r - 0.5 > x; ECMA-262 Math.round); the clamp to int16 is the saturating
;; i32 -> i16 narrow.
;;
;; Lanes are CONSECUTIVE outputs, so the samples the lanes need for one tap
;; are adjacent in memory: for interpolation directly; for decimation the
;; float history is kept split into even- and odd-indexed samples (two
;; arrays, see $decimate). Four outputs per step (two vectors) so that each
;; coefficient load and loop step serves four outputs, with the tap loop
;; written out in place (V8 does not inline wasm calls); the last 1-3
;; outputs go through the same loop as a function ($*_taps4).
;;
;; Memory is owned by the JavaScript side (media/simd-kernels.ts), which
;; passes every pointer; the kernels allocate nothing.

(module
  (memory (export "memory") 1)

  ;; Math.round then int16 saturation of two doubles, as i32x4 lanes 0..1.
  (func $round2 (param $x v128) (result v128)
    (local $r v128)
    (local.set $r (f64x2.ceil (local.get $x)))
    (local.set $r
      (f64x2.sub (local.get $r)
        (v128.and
          (f64x2.gt (f64x2.sub (local.get $r) (f64x2.splat (f64.const 0.5))) (local.get $x))
          (f64x2.splat (f64.const 1)))))
    (i32x4.trunc_sat_f64x2_s_zero (local.get $r)))

  ;; i32x4 lanes (a0, a1, b0, b1) from lanes 0..1 of $a and $b.
  (func $low_pairs (param $a v128) (param $b v128) (result v128)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a) (local.get $b)))

  ;; Int16 samples -> doubles: $n samples at $src to $dst (contiguous).
  (func $to_f64 (param $src i32) (param $n i32) (param $dst i32)
    (local $i i32) (local $v v128)
    (block $done
      (loop $quad
        (br_if $done (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (local.set $v (i32x4.extend_low_i16x8_s
          (v128.load64_zero (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 1))))))
        (v128.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3)))
          (f64x2.convert_low_i32x4_s (local.get $v)))
        (v128.store offset=16 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3)))
          (f64x2.convert_low_i32x4_s
            (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $v) (local.get $v))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $quad)))
    (block $end
      (loop $one
        (br_if $end (i32.ge_s (local.get $i) (local.get $n)))
        (f64.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3)))
          (f64.convert_i32_s (i32.load16_s (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 1))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $one))))

  ;; Int16 samples -> doubles, split by index parity: sample i goes to
  ;; $even[$at + i/2] when i is even, $odd[$at + (i-1)/2] when odd.
  (func $to_f64_split (param $src i32) (param $n i32) (param $even i32) (param $odd i32)
    (local $i i32) (local $v v128) (local $e i32) (local $o i32)
    (block $done
      (loop $quad
        (br_if $done (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (local.set $v (i32x4.extend_low_i16x8_s
          (v128.load64_zero (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 1))))))
        ;; lanes (x0, x1, x2, x3) -> (x0, x2) even, (x1, x3) odd
        (v128.store (i32.add (local.get $even) (i32.shl (local.get $i) (i32.const 2)))
          (f64x2.convert_low_i32x4_s
            (i8x16.shuffle 0 1 2 3 8 9 10 11 0 1 2 3 8 9 10 11 (local.get $v) (local.get $v))))
        (v128.store (i32.add (local.get $odd) (i32.shl (local.get $i) (i32.const 2)))
          (f64x2.convert_low_i32x4_s
            (i8x16.shuffle 4 5 6 7 12 13 14 15 4 5 6 7 12 13 14 15 (local.get $v) (local.get $v))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $quad)))
    (block $end
      (loop $one
        (br_if $end (i32.ge_s (local.get $i) (local.get $n)))
        (f64.store
          (i32.add
            (select (local.get $odd) (local.get $even) (i32.and (local.get $i) (i32.const 1)))
            (i32.shl (i32.shr_u (local.get $i) (i32.const 1)) (i32.const 3)))
          (f64.convert_i32_s (i32.load16_s (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 1))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $one))))

  ;; Decimation by 2 (halfbandDecimateKernel). The float history + input
  ;; (4M samples of history, then the new input) is kept as two arrays at
  ;; $bufA and $bufB, one holding the even-indexed samples and the other the
  ;; odd ones; which is which is the state word at $state+4 (0: A even).
  ;; Output t's centre is buf[mid], mid = n + 2M; its side samples
  ;; buf[mid -/+ (2j+1)] all have the other parity, so they are one array's
  ;; elements (mid-1)/2 - j and (mid+1)/2 + j (integer halves), and the next
  ;; output's are the next elements. $side: the M side taps.
  ;; $state: i32 n, i32 parity. Returns the number of outputs written at $out.
  (func (export "decimate") (param $side i32) (param $m i32) (param $state i32)
      (param $bufA i32) (param $bufB i32) (param $src i32) (param $nIn i32) (param $out i32) (result i32)
    (local $n i32) (local $o i32) (local $mid i32) (local $j i32) (local $even i32) (local $odd i32)
    (local $s i32) (local $cen i32) (local $lo i32) (local $hi i32)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128) (local $c v128) (local $x v128)
    (local $y v128) (local $r v128) (local $t v128) (local $half2 v128) (local $one2 v128)
    (local $flip i32) (local $half i32) (local $sp i32) (local $l i32) (local $h i32) (local $end i32)
    (local.set $end (i32.add (local.get $side) (i32.shl (i32.sub (local.get $m) (i32.const 1)) (i32.const 3))))
    (local.set $half2 (f64x2.splat (f64.const 0.5)))
    (local.set $one2 (f64x2.splat (f64.const 1)))
    (local.set $flip (i32.load offset=4 (local.get $state)))
    (local.set $even (select (local.get $bufB) (local.get $bufA) (local.get $flip)))
    (local.set $odd (select (local.get $bufA) (local.get $bufB) (local.get $flip)))
    ;; history is 4M samples (2M per array), so input sample i has buffer index 4M + i, same parity
    (call $to_f64_split (local.get $src) (local.get $nIn)
      (i32.add (local.get $even) (i32.shl (local.get $m) (i32.const 4)))
      (i32.add (local.get $odd) (i32.shl (local.get $m) (i32.const 4))))
    (local.set $n (i32.load (local.get $state)))
    (local.set $mid (i32.add (local.get $n) (i32.shl (local.get $m) (i32.const 1))))
    ;; side samples array $s, centre array from $cen; pointers for the first output
    (local.set $s (select (local.get $even) (local.get $odd) (i32.and (local.get $mid) (i32.const 1))))
    (local.set $cen (i32.add
      (select (local.get $odd) (local.get $even) (i32.and (local.get $mid) (i32.const 1)))
      (i32.shl (i32.shr_u (local.get $mid) (i32.const 1)) (i32.const 3))))
    (local.set $lo (i32.add (local.get $s) (i32.shl (i32.shr_u (i32.sub (local.get $mid) (i32.const 1)) (i32.const 1)) (i32.const 3))))
    (local.set $hi (i32.add (local.get $s) (i32.shl (i32.shr_u (i32.add (local.get $mid) (i32.const 1)) (i32.const 1)) (i32.const 3))))
    ;; four outputs per step while the fourth (centre n + 6) is in this input
    (block $done4
      (loop $quad
        (br_if $done4 (i32.ge_s (i32.add (local.get $n) (i32.const 6)) (local.get $nIn)))
        (local.set $a0 (f64x2.mul (f64x2.splat (f64.const 0.5)) (v128.load (local.get $cen))))
        (local.set $b0 (f64x2.mul (f64x2.splat (f64.const 0.5)) (v128.load offset=16 (local.get $cen))))
        (local.set $a1 (v128.const i64x2 0 0))
        (local.set $b1 (v128.const i64x2 0 0))
        ;; the tap loop of $decimate_taps4, inlined (no call per four outputs)
        (local.set $sp (local.get $side))
        (local.set $l (local.get $lo))
        (local.set $h (local.get $hi))
        (block $taps_done
          (loop $taps
            (br_if $taps_done (i32.ge_u (local.get $sp) (local.get $end)))
            (local.set $c (v128.load64_splat (local.get $sp)))
            (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $c)
              (f64x2.add (v128.load (local.get $l)) (v128.load (local.get $h))))))
            (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $c)
              (f64x2.add (v128.load offset=16 (local.get $l)) (v128.load offset=16 (local.get $h))))))
            (local.set $c (v128.load64_splat offset=8 (local.get $sp)))
            (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $c)
              (f64x2.add (v128.load (i32.sub (local.get $l) (i32.const 8))) (v128.load offset=8 (local.get $h))))))
            (local.set $b1 (f64x2.add (local.get $b1) (f64x2.mul (local.get $c)
              (f64x2.add (v128.load offset=8 (local.get $l)) (v128.load offset=24 (local.get $h))))))
            (local.set $sp (i32.add (local.get $sp) (i32.const 16)))
            (local.set $l (i32.sub (local.get $l) (i32.const 16)))
            (local.set $h (i32.add (local.get $h) (i32.const 16)))
            (br $taps)))
        (if (i32.eq (local.get $sp) (local.get $end))
          (then
            (local.set $c (v128.load64_splat (local.get $sp)))
            (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $c)
              (f64x2.add (v128.load (local.get $l)) (v128.load (local.get $h))))))
            (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $c)
              (f64x2.add (v128.load offset=16 (local.get $l)) (v128.load offset=16 (local.get $h))))))))
        (local.set $a0 (f64x2.add (local.get $a0) (local.get $a1)))
        (local.set $b0 (f64x2.add (local.get $b0) (local.get $b1)))
        ;; $round2 and $low_pairs, inlined
        (local.set $x (local.set $r (f64x2.ceil (local.tee $t (local.get $a0))))
        (i32x4.trunc_sat_f64x2_s_zero (f64x2.sub (local.get $r)
          (v128.and (f64x2.gt (f64x2.sub (local.get $r) (local.get $half2)) (local.get $t)) (local.get $one2)))))
        (local.set $y (local.set $r (f64x2.ceil (local.tee $t (local.get $b0))))
        (i32x4.trunc_sat_f64x2_s_zero (f64x2.sub (local.get $r)
          (v128.and (f64x2.gt (f64x2.sub (local.get $r) (local.get $half2)) (local.get $t)) (local.get $one2)))))
        (local.set $x (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $x) (local.get $y)))
        (v128.store64_lane 0 (i32.add (local.get $out) (i32.shl (local.get $o) (i32.const 1)))
          (i16x8.narrow_i32x4_s (local.get $x) (local.get $x)))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (local.set $n (i32.add (local.get $n) (i32.const 8)))
        (local.set $cen (i32.add (local.get $cen) (i32.const 32)))
        (local.set $lo (i32.add (local.get $lo) (i32.const 32)))
        (local.set $hi (i32.add (local.get $hi) (i32.const 32)))
        (br $quad)))
    ;; the last 1-3: two at a time, storing only the outputs that exist
    (block $done
      (loop $pair
        (br_if $done (i32.ge_s (local.get $n) (local.get $nIn)))
        (local.set $a0 (f64x2.mul (f64x2.splat (f64.const 0.5)) (v128.load (local.get $cen))))
        (local.set $a1 (v128.const i64x2 0 0))
        (call $decimate_taps4 (local.get $side) (local.get $m) (local.get $lo) (local.get $hi)
          (local.get $a0) (local.get $a1) (local.get $a0) (local.get $a1))
        (drop)
        (local.set $x (call $round2))
        (local.set $x (i16x8.narrow_i32x4_s (local.get $x) (local.get $x)))
        (if (i32.lt_s (i32.add (local.get $n) (i32.const 2)) (local.get $nIn))
          (then
            (v128.store32_lane 0 (i32.add (local.get $out) (i32.shl (local.get $o) (i32.const 1))) (local.get $x))
            (local.set $o (i32.add (local.get $o) (i32.const 2)))
            (local.set $n (i32.add (local.get $n) (i32.const 4))))
          (else
            (v128.store16_lane 0 (i32.add (local.get $out) (i32.shl (local.get $o) (i32.const 1))) (local.get $x))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (local.set $n (i32.add (local.get $n) (i32.const 2)))))
        (local.set $cen (i32.add (local.get $cen) (i32.const 16)))
        (local.set $lo (i32.add (local.get $lo) (i32.const 16)))
        (local.set $hi (i32.add (local.get $hi) (i32.const 16)))
        (br $pair)))
    (i32.store (local.get $state) (i32.sub (local.get $n) (local.get $nIn)))
    ;; Keep the newest 4M samples: new buf[k] = old buf[k + nIn]. For an even
    ;; nIn each array shifts by nIn/2; for an odd one the parities swap: the
    ;; old odd array, shifted by (nIn-1)/2, becomes the even one.
    (local.set $half (i32.shl (local.get $m) (i32.const 4)))
    (if (i32.and (local.get $nIn) (i32.const 1))
      (then
        (memory.copy (local.get $odd)
          (i32.add (local.get $odd) (i32.shl (i32.shr_u (local.get $nIn) (i32.const 1)) (i32.const 3)))
          (local.get $half))
        (memory.copy (local.get $even)
          (i32.add (local.get $even) (i32.shl (i32.shr_u (i32.add (local.get $nIn) (i32.const 1)) (i32.const 1)) (i32.const 3)))
          (local.get $half))
        (i32.store offset=4 (local.get $state) (i32.xor (local.get $flip) (i32.const 1))))
      (else
        (memory.copy (local.get $even)
          (i32.add (local.get $even) (i32.shl (i32.shr_u (local.get $nIn) (i32.const 1)) (i32.const 3)))
          (local.get $half))
        (memory.copy (local.get $odd)
          (i32.add (local.get $odd) (i32.shl (i32.shr_u (local.get $nIn) (i32.const 1)) (i32.const 3)))
          (local.get $half))))
    (local.get $o))

  ;; The side taps of four decimation outputs (a: outputs 0-1, b: 2-3):
  ;; a0/b0 += side[j] * (left + right) for even j, a1/b1 for odd j; returns
  ;; (a0 + a1, b0 + b1). $lo / $hi: the first output's samples for tap 0.
  (func $decimate_taps4 (param $side i32) (param $m i32) (param $lo i32) (param $hi i32)
      (param $a0 v128) (param $a1 v128) (param $b0 v128) (param $b1 v128) (result v128 v128)
    (local $j i32) (local $c v128) (local $end i32)
    (local.set $end (i32.add (local.get $side) (i32.shl (i32.sub (local.get $m) (i32.const 1)) (i32.const 3))))
    (block $taps_done
      (loop $taps
        (br_if $taps_done (i32.ge_u (local.get $side) (local.get $end)))
        (local.set $c (v128.load64_splat (local.get $side)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $c)
          (f64x2.add (v128.load (local.get $lo)) (v128.load (local.get $hi))))))
        (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $c)
          (f64x2.add (v128.load offset=16 (local.get $lo)) (v128.load offset=16 (local.get $hi))))))
        (local.set $c (v128.load64_splat offset=8 (local.get $side)))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $c)
          (f64x2.add (v128.load (i32.sub (local.get $lo) (i32.const 8))) (v128.load offset=8 (local.get $hi))))))
        (local.set $b1 (f64x2.add (local.get $b1) (f64x2.mul (local.get $c)
          (f64x2.add (v128.load offset=8 (local.get $lo)) (v128.load offset=24 (local.get $hi))))))
        (local.set $side (i32.add (local.get $side) (i32.const 16)))
        (local.set $lo (i32.sub (local.get $lo) (i32.const 16)))
        (local.set $hi (i32.add (local.get $hi) (i32.const 16)))
        (br $taps)))
    (if (i32.eq (local.get $side) (local.get $end))
      (then
        (local.set $c (v128.load64_splat (local.get $side)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $c)
          (f64x2.add (v128.load (local.get $lo)) (v128.load (local.get $hi))))))
        (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $c)
          (f64x2.add (v128.load offset=16 (local.get $lo)) (v128.load offset=16 (local.get $hi))))))))
    (f64x2.add (local.get $a0) (local.get $a1))
    (f64x2.add (local.get $b0) (local.get $b1)))

  ;; Interpolation by 2 (halfbandInterpolateKernel). $buf: f64 history
  ;; (2M - 1 samples) then the new input; $rside: the M side taps REVERSED
  ;; (rside[j] = side[M-1-j]). Input n gives an even output (the dot product,
  ;; times 2) and an odd output (input n + M of the buffer, exact).
  ;; $state: i32 n. Returns the number of outputs (2 nIn).
  (func (export "interpolate") (param $rside i32) (param $m i32) (param $state i32)
      (param $buf i32) (param $unused i32) (param $src i32) (param $nIn i32) (param $out i32) (result i32)
    (local $n i32) (local $o i32) (local $lo i32) (local $hist i32)
    (local $a v128) (local $b v128) (local $x v128) (local $y v128) (local $zero v128)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128) (local $c v128)
    (local $sp i32) (local $l i32) (local $h i32) (local $end i32)
    (local $r v128) (local $t v128) (local $half2 v128) (local $one2 v128) (local $two2 v128)
    (local.set $half2 (f64x2.splat (f64.const 0.5)))
    (local.set $one2 (f64x2.splat (f64.const 1)))
    (local.set $two2 (f64x2.splat (f64.const 2)))
    (local.set $end (i32.add (local.get $rside) (i32.shl (i32.sub (local.get $m) (i32.const 1)) (i32.const 3))))
    (local.set $hist (i32.sub (i32.shl (local.get $m) (i32.const 1)) (i32.const 1)))
    (call $to_f64 (local.get $src) (local.get $nIn)
      (i32.add (local.get $buf) (i32.shl (local.get $hist) (i32.const 3))))
    (local.set $n (i32.load (local.get $state)))
    (block $done4
      (loop $quad
        (br_if $done4 (i32.ge_s (i32.add (local.get $n) (i32.const 3)) (local.get $nIn)))
        (local.set $lo (i32.add (local.get $buf) (i32.shl (local.get $n) (i32.const 3))))
        ;; the tap loop of $interpolate_taps4, inlined (no call per four outputs)
        (local.set $sp (local.get $rside))
        (local.set $l (local.get $lo))
        (local.set $h (i32.add (local.get $lo) (i32.shl (local.get $hist) (i32.const 3))))
        (local.set $a0 (local.get $zero))
        (local.set $a1 (local.get $zero))
        (local.set $b0 (local.get $zero))
        (local.set $b1 (local.get $zero))
        (block $taps_done
          (loop $taps
            (br_if $taps_done (i32.ge_u (local.get $sp) (local.get $end)))
            (local.set $c (v128.load64_splat (local.get $sp)))
            (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $c)
              (f64x2.add (v128.load (local.get $l)) (v128.load (local.get $h))))))
            (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $c)
              (f64x2.add (v128.load offset=16 (local.get $l)) (v128.load offset=16 (local.get $h))))))
            (local.set $c (v128.load64_splat offset=8 (local.get $sp)))
            (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $c)
              (f64x2.add (v128.load offset=8 (local.get $l)) (v128.load (i32.sub (local.get $h) (i32.const 8)))))))
            (local.set $b1 (f64x2.add (local.get $b1) (f64x2.mul (local.get $c)
              (f64x2.add (v128.load offset=24 (local.get $l)) (v128.load offset=8 (local.get $h))))))
            (local.set $sp (i32.add (local.get $sp) (i32.const 16)))
            (local.set $l (i32.add (local.get $l) (i32.const 16)))
            (local.set $h (i32.sub (local.get $h) (i32.const 16)))
            (br $taps)))
        (if (i32.eq (local.get $sp) (local.get $end))
          (then
            (local.set $c (v128.load64_splat (local.get $sp)))
            (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $c)
              (f64x2.add (v128.load (local.get $l)) (v128.load (local.get $h))))))
            (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $c)
              (f64x2.add (v128.load offset=16 (local.get $l)) (v128.load offset=16 (local.get $h))))))))
        (local.set $a (f64x2.add (local.get $a0) (local.get $a1)))
        (local.set $b (f64x2.add (local.get $b0) (local.get $b1)))
        ;; (even, odd) pairs: (e0, d0, e1, d1) and (e2, d2, e3, d3)
        ;; $round2 and $interleave, inlined
        (local.set $x (local.set $r (f64x2.ceil (local.tee $t (f64x2.mul (local.get $two2) (local.get $a)))))
        (i32x4.trunc_sat_f64x2_s_zero (f64x2.sub (local.get $r)
          (v128.and (f64x2.gt (f64x2.sub (local.get $r) (local.get $half2)) (local.get $t)) (local.get $one2)))))
        (local.set $x (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $x)
          (i32x4.trunc_sat_f64x2_s_zero (v128.load (i32.add (local.get $lo) (i32.shl (local.get $m) (i32.const 3)))))))
        (local.set $y (local.set $r (f64x2.ceil (local.tee $t (f64x2.mul (local.get $two2) (local.get $b)))))
        (i32x4.trunc_sat_f64x2_s_zero (f64x2.sub (local.get $r)
          (v128.and (f64x2.gt (f64x2.sub (local.get $r) (local.get $half2)) (local.get $t)) (local.get $one2)))))
        (local.set $y (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $y)
          (i32x4.trunc_sat_f64x2_s_zero (v128.load offset=16 (i32.add (local.get $lo) (i32.shl (local.get $m) (i32.const 3)))))))
        (v128.store (i32.add (local.get $out) (i32.shl (local.get $o) (i32.const 1)))
          (i16x8.narrow_i32x4_s (local.get $x) (local.get $y)))
        (local.set $o (i32.add (local.get $o) (i32.const 8)))
        (local.set $n (i32.add (local.get $n) (i32.const 4)))
        (br $quad)))
    (block $done
      (loop $pair
        (br_if $done (i32.ge_s (local.get $n) (local.get $nIn)))
        (local.set $lo (i32.add (local.get $buf) (i32.shl (local.get $n) (i32.const 3))))
        (call $interpolate_taps4 (local.get $rside) (local.get $m) (local.get $lo)
          (i32.add (local.get $lo) (i32.shl (local.get $hist) (i32.const 3))))
        (drop) (local.set $a)
        (local.set $x (call $interleave
          (call $round2 (f64x2.mul (f64x2.splat (f64.const 2)) (local.get $a)))
          (i32x4.trunc_sat_f64x2_s_zero (v128.load (i32.add (local.get $lo) (i32.shl (local.get $m) (i32.const 3)))))))
        (local.set $x (i16x8.narrow_i32x4_s (local.get $x) (local.get $x)))
        (if (i32.lt_s (i32.add (local.get $n) (i32.const 1)) (local.get $nIn))
          (then
            (v128.store64_lane 0 (i32.add (local.get $out) (i32.shl (local.get $o) (i32.const 1))) (local.get $x))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (local.set $n (i32.add (local.get $n) (i32.const 2))))
          (else
            (v128.store32_lane 0 (i32.add (local.get $out) (i32.shl (local.get $o) (i32.const 1))) (local.get $x))
            (local.set $o (i32.add (local.get $o) (i32.const 2)))
            (local.set $n (i32.add (local.get $n) (i32.const 1)))))
        (br $pair)))
    (i32.store (local.get $state) (i32.sub (local.get $n) (local.get $nIn)))
    (memory.copy (local.get $buf)
      (i32.add (local.get $buf) (i32.shl (local.get $nIn) (i32.const 3)))
      (i32.shl (local.get $hist) (i32.const 3)))
    (local.get $o))

  ;; i32x4 (e0, d0, e1, d1) from lanes 0..1 of $e and $d.
  (func $interleave (param $e v128) (param $d v128) (result v128)
    (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $e) (local.get $d)))

  ;; Dot products of four interpolation outputs (inputs n .. n+3, as two
  ;; vectors): a0 over even j, a1 over odd j, of
  ;; rside[j] * (buf[n + j] + buf[n + 2M - 1 - j]); returns (a0 + a1) per vector.
  (func $interpolate_taps4 (param $rside i32) (param $m i32) (param $lo i32) (param $hi i32) (result v128 v128)
    (local $end i32) (local $c v128)
    (local $a0 v128) (local $a1 v128) (local $b0 v128) (local $b1 v128)
    (local.set $end (i32.add (local.get $rside) (i32.shl (i32.sub (local.get $m) (i32.const 1)) (i32.const 3))))
    (block $taps_done
      (loop $taps
        (br_if $taps_done (i32.ge_u (local.get $rside) (local.get $end)))
        (local.set $c (v128.load64_splat (local.get $rside)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $c)
          (f64x2.add (v128.load (local.get $lo)) (v128.load (local.get $hi))))))
        (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $c)
          (f64x2.add (v128.load offset=16 (local.get $lo)) (v128.load offset=16 (local.get $hi))))))
        (local.set $c (v128.load64_splat offset=8 (local.get $rside)))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $c)
          (f64x2.add (v128.load offset=8 (local.get $lo)) (v128.load (i32.sub (local.get $hi) (i32.const 8)))))))
        (local.set $b1 (f64x2.add (local.get $b1) (f64x2.mul (local.get $c)
          (f64x2.add (v128.load offset=24 (local.get $lo)) (v128.load offset=8 (local.get $hi))))))
        (local.set $rside (i32.add (local.get $rside) (i32.const 16)))
        (local.set $lo (i32.add (local.get $lo) (i32.const 16)))
        (local.set $hi (i32.sub (local.get $hi) (i32.const 16)))
        (br $taps)))
    (if (i32.eq (local.get $rside) (local.get $end))
      (then
        (local.set $c (v128.load64_splat (local.get $rside)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $c)
          (f64x2.add (v128.load (local.get $lo)) (v128.load (local.get $hi))))))
        (local.set $b0 (f64x2.add (local.get $b0) (f64x2.mul (local.get $c)
          (f64x2.add (v128.load offset=16 (local.get $lo)) (v128.load offset=16 (local.get $hi))))))))
    (f64x2.add (local.get $a0) (local.get $a1))
    (f64x2.add (local.get $b0) (local.get $b1)))
)
