;; The native backend's conv-net kernels (native/kernels_cnn.ts), in WebAssembly SIMD: batch norm per channel and
;; max pooling with argmax. Like kernels.wat, the module imports the wasm heap of TF.js's wasm backend; pointers are
;; byte offsets into it. Rows are the [N, C] view of a [..., C] tensor; C is a multiple of 4 (the caller checks).
;; Per-channel sums are float64 (two f64x2 per four channels). Rebuild native/wasm/cnn_wasm.ts from this file with
;; `deno run -A native/wasm/build.ts`.
(module
  (import "env" "memory" (memory 1))

  ;; sums[c] += a[r, c], dots[c] += a[r, c] * b[r, c] over the rows r, in float64 (sums, dots: f64[C]). With a
  ;; mask (a pointer, 0 for none), a counts only where mask > 0 (ReLU's backward, mask its output).
  (func (export "channelDots")
    (param $a i32) (param $b i32) (param $rows i32) (param $C i32) (param $sums i32) (param $dots i32) (param $mask i32)
    (local $end i32) (local $row i32) (local $c i32) (local $av v128) (local $bv v128) (local $lo v128) (local $hi v128)
    (local $s i32)
    (local.set $row (i32.shl (local.get $C) (i32.const 2)))
    (local.set $end (i32.add (local.get $a) (i32.mul (local.get $rows) (local.get $row))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $c (i32.const 0))
        (block $cdone
          (loop $channels
            (br_if $cdone (i32.ge_u (local.get $c) (local.get $row)))
            (local.set $av (v128.load (i32.add (local.get $a) (local.get $c))))
            (if (local.get $mask)
              (then
                (local.set $av
                  (v128.and (local.get $av)
                    (f32x4.gt (v128.load (i32.add (local.get $mask) (local.get $c))) (v128.const f32x4 0 0 0 0))))))
            (local.set $bv (v128.load (i32.add (local.get $b) (local.get $c))))
            (local.set $lo (f64x2.promote_low_f32x4 (local.get $av)))
            (local.set $hi
              (f64x2.promote_low_f32x4
                (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $av) (local.get $av))))
            (local.set $s (i32.add (local.get $sums) (i32.shl (local.get $c) (i32.const 1))))
            (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s)) (local.get $lo)))
            (v128.store offset=16 (local.get $s) (f64x2.add (v128.load offset=16 (local.get $s)) (local.get $hi)))
            (local.set $s (i32.add (local.get $dots) (i32.shl (local.get $c) (i32.const 1))))
            (v128.store (local.get $s)
              (f64x2.add (v128.load (local.get $s))
                (f64x2.mul (local.get $lo) (f64x2.promote_low_f32x4 (local.get $bv)))))
            (v128.store offset=16 (local.get $s)
              (f64x2.add (v128.load offset=16 (local.get $s))
                (f64x2.mul (local.get $hi)
                  (f64x2.promote_low_f32x4
                    (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $bv) (local.get $bv))))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $channels)))
        (local.set $a (i32.add (local.get $a) (local.get $row)))
        (local.set $b (i32.add (local.get $b) (local.get $row)))
        (if (local.get $mask) (then (local.set $mask (i32.add (local.get $mask) (local.get $row)))))
        (br $rows))))

  ;; channelDots for C a multiple of 16: 16 channels at a time, the sums of blocks of up to 32 rows in float32 registers
  ;; (four f32x4 for a, four for a * b), each block's sums then added into the float64 totals; same arguments.
  (func (export "channelDots16")
    (param $a i32) (param $b i32) (param $rows i32) (param $C i32) (param $sums i32) (param $dots i32) (param $mask i32)
    (local $row i32) (local $g i32) (local $r i32) (local $end i32) (local $pa i32) (local $pb i32) (local $pm i32)
    (local $v v128) (local $s i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $d0 v128) (local $d1 v128) (local $d2 v128) (local $d3 v128)
    (local.set $row (i32.shl (local.get $C) (i32.const 2)))
    (local.set $g (i32.const 0))
    (block $gdone
      (loop $groups
        (br_if $gdone (i32.ge_u (local.get $g) (local.get $row)))
        (local.set $r (i32.const 0))
        (block $bdone
          (loop $blocks
            (br_if $bdone (i32.ge_u (local.get $r) (local.get $rows)))
            (local.set $end (i32.add (local.get $r) (i32.const 32)))
            (local.set $end (select (local.get $rows) (local.get $end) (i32.gt_u (local.get $end) (local.get $rows))))
            (local.set $s0 (v128.const i32x4 0 0 0 0))
            (local.set $d0 (v128.const i32x4 0 0 0 0))
            (local.set $s1 (v128.const i32x4 0 0 0 0))
            (local.set $d1 (v128.const i32x4 0 0 0 0))
            (local.set $s2 (v128.const i32x4 0 0 0 0))
            (local.set $d2 (v128.const i32x4 0 0 0 0))
            (local.set $s3 (v128.const i32x4 0 0 0 0))
            (local.set $d3 (v128.const i32x4 0 0 0 0))
            (local.set $pa (i32.add (i32.add (local.get $a) (i32.mul (local.get $r) (local.get $row))) (local.get $g)))
            (local.set $pb (i32.add (i32.add (local.get $b) (i32.mul (local.get $r) (local.get $row))) (local.get $g)))
            (local.set $pm (i32.add (i32.add (local.get $mask) (i32.mul (local.get $r) (local.get $row))) (local.get $g)))
            (block $rdone
              (loop $rowsl
                (br_if $rdone (i32.ge_u (local.get $r) (local.get $end)))
                (local.set $v (v128.load offset=0 (local.get $pa)))
                (if (local.get $mask)
                  (then
                    (local.set $v
                      (v128.and (local.get $v)
                        (f32x4.gt (v128.load offset=0 (local.get $pm)) (v128.const f32x4 0 0 0 0))))))
                (local.set $s0 (f32x4.add (local.get $s0) (local.get $v)))
                (local.set $d0 (f32x4.add (local.get $d0) (f32x4.mul (local.get $v) (v128.load offset=0 (local.get $pb)))))
                (local.set $v (v128.load offset=16 (local.get $pa)))
                (if (local.get $mask)
                  (then
                    (local.set $v
                      (v128.and (local.get $v)
                        (f32x4.gt (v128.load offset=16 (local.get $pm)) (v128.const f32x4 0 0 0 0))))))
                (local.set $s1 (f32x4.add (local.get $s1) (local.get $v)))
                (local.set $d1 (f32x4.add (local.get $d1) (f32x4.mul (local.get $v) (v128.load offset=16 (local.get $pb)))))
                (local.set $v (v128.load offset=32 (local.get $pa)))
                (if (local.get $mask)
                  (then
                    (local.set $v
                      (v128.and (local.get $v)
                        (f32x4.gt (v128.load offset=32 (local.get $pm)) (v128.const f32x4 0 0 0 0))))))
                (local.set $s2 (f32x4.add (local.get $s2) (local.get $v)))
                (local.set $d2 (f32x4.add (local.get $d2) (f32x4.mul (local.get $v) (v128.load offset=32 (local.get $pb)))))
                (local.set $v (v128.load offset=48 (local.get $pa)))
                (if (local.get $mask)
                  (then
                    (local.set $v
                      (v128.and (local.get $v)
                        (f32x4.gt (v128.load offset=48 (local.get $pm)) (v128.const f32x4 0 0 0 0))))))
                (local.set $s3 (f32x4.add (local.get $s3) (local.get $v)))
                (local.set $d3 (f32x4.add (local.get $d3) (f32x4.mul (local.get $v) (v128.load offset=48 (local.get $pb)))))
                (local.set $pa (i32.add (local.get $pa) (local.get $row)))
                (local.set $pb (i32.add (local.get $pb) (local.get $row)))
                (local.set $pm (i32.add (local.get $pm) (local.get $row)))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br $rowsl)))
            (local.set $s (i32.add (local.get $sums) (i32.add (i32.shl (local.get $g) (i32.const 1)) (i32.const 0))))
            (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s)) (f64x2.promote_low_f32x4 (local.get $s0))))
            (v128.store offset=16 (local.get $s)
              (f64x2.add (v128.load offset=16 (local.get $s))
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $s0) (local.get $s0)))))
            (local.set $s (i32.add (local.get $dots) (i32.add (i32.shl (local.get $g) (i32.const 1)) (i32.const 0))))
            (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s)) (f64x2.promote_low_f32x4 (local.get $d0))))
            (v128.store offset=16 (local.get $s)
              (f64x2.add (v128.load offset=16 (local.get $s))
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $d0) (local.get $d0)))))
            (local.set $s (i32.add (local.get $sums) (i32.add (i32.shl (local.get $g) (i32.const 1)) (i32.const 32))))
            (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s)) (f64x2.promote_low_f32x4 (local.get $s1))))
            (v128.store offset=16 (local.get $s)
              (f64x2.add (v128.load offset=16 (local.get $s))
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $s1) (local.get $s1)))))
            (local.set $s (i32.add (local.get $dots) (i32.add (i32.shl (local.get $g) (i32.const 1)) (i32.const 32))))
            (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s)) (f64x2.promote_low_f32x4 (local.get $d1))))
            (v128.store offset=16 (local.get $s)
              (f64x2.add (v128.load offset=16 (local.get $s))
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $d1) (local.get $d1)))))
            (local.set $s (i32.add (local.get $sums) (i32.add (i32.shl (local.get $g) (i32.const 1)) (i32.const 64))))
            (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s)) (f64x2.promote_low_f32x4 (local.get $s2))))
            (v128.store offset=16 (local.get $s)
              (f64x2.add (v128.load offset=16 (local.get $s))
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $s2) (local.get $s2)))))
            (local.set $s (i32.add (local.get $dots) (i32.add (i32.shl (local.get $g) (i32.const 1)) (i32.const 64))))
            (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s)) (f64x2.promote_low_f32x4 (local.get $d2))))
            (v128.store offset=16 (local.get $s)
              (f64x2.add (v128.load offset=16 (local.get $s))
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $d2) (local.get $d2)))))
            (local.set $s (i32.add (local.get $sums) (i32.add (i32.shl (local.get $g) (i32.const 1)) (i32.const 96))))
            (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s)) (f64x2.promote_low_f32x4 (local.get $s3))))
            (v128.store offset=16 (local.get $s)
              (f64x2.add (v128.load offset=16 (local.get $s))
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $s3) (local.get $s3)))))
            (local.set $s (i32.add (local.get $dots) (i32.add (i32.shl (local.get $g) (i32.const 1)) (i32.const 96))))
            (v128.store (local.get $s) (f64x2.add (v128.load (local.get $s)) (f64x2.promote_low_f32x4 (local.get $d3))))
            (v128.store offset=16 (local.get $s)
              (f64x2.add (v128.load offset=16 (local.get $s))
                (f64x2.promote_low_f32x4
                  (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $d3) (local.get $d3)))))
            (br $blocks)))
        (local.set $g (i32.add (local.get $g) (i32.const 64)))
        (br $groups))))

  ;; Batch norm's outputs: norm = (x - mean[c]) * inv[c]; y = max(norm * gamma[c] + beta[c], floor) (float32, in that
  ;; order; floor 0 applies ReLU, -inf nothing; a NaN stays NaN).
  (func (export "bnApply")
    (param $x i32) (param $rows i32) (param $C i32) (param $mean i32) (param $inv i32) (param $gamma i32)
    (param $beta i32) (param $norm i32) (param $y i32) (param $floor f32)
    (local $end i32) (local $row i32) (local $c i32) (local $n v128)
    (local.set $row (i32.shl (local.get $C) (i32.const 2)))
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $rows) (local.get $row))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $x) (local.get $end)))
        (local.set $c (i32.const 0))
        (block $cdone
          (loop $channels
            (br_if $cdone (i32.ge_u (local.get $c) (local.get $row)))
            (local.set $n
              (f32x4.mul
                (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $c)))
                  (v128.load (i32.add (local.get $mean) (local.get $c))))
                (v128.load (i32.add (local.get $inv) (local.get $c)))))
            (v128.store (i32.add (local.get $norm) (local.get $c)) (local.get $n))
            (v128.store (i32.add (local.get $y) (local.get $c))
              (f32x4.max
                (f32x4.add (f32x4.mul (local.get $n) (v128.load (i32.add (local.get $gamma) (local.get $c))))
                  (v128.load (i32.add (local.get $beta) (local.get $c))))
                (f32x4.splat (local.get $floor))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $channels)))
        (local.set $x (i32.add (local.get $x) (local.get $row)))
        (local.set $norm (i32.add (local.get $norm) (local.get $row)))
        (local.set $y (i32.add (local.get $y) (local.get $row)))
        (br $rows))))

  ;; Batch norm's dz = ((dy * count - dBeta[c]) - norm * dGamma[c]) * scale[c] (float32, in that order); with a mask
  ;; (0 for none), dy counts only where mask > 0, as in channelDots.
  (func (export "bnGradApply")
    (param $dy i32) (param $norm i32) (param $rows i32) (param $C i32) (param $count f32) (param $dBeta i32)
    (param $dGamma i32) (param $scale i32) (param $dz i32) (param $mask i32)
    (local $end i32) (local $row i32) (local $c i32) (local $d v128)
    (local.set $row (i32.shl (local.get $C) (i32.const 2)))
    (local.set $end (i32.add (local.get $dy) (i32.mul (local.get $rows) (local.get $row))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $dy) (local.get $end)))
        (local.set $c (i32.const 0))
        (block $cdone
          (loop $channels
            (br_if $cdone (i32.ge_u (local.get $c) (local.get $row)))
            (local.set $d (v128.load (i32.add (local.get $dy) (local.get $c))))
            (if (local.get $mask)
              (then
                (local.set $d
                  (v128.and (local.get $d)
                    (f32x4.gt (v128.load (i32.add (local.get $mask) (local.get $c))) (v128.const f32x4 0 0 0 0))))))
            (v128.store (i32.add (local.get $dz) (local.get $c))
              (f32x4.mul
                (f32x4.sub
                  (f32x4.sub
                    (f32x4.mul (local.get $d) (f32x4.splat (local.get $count)))
                    (v128.load (i32.add (local.get $dBeta) (local.get $c))))
                  (f32x4.mul (v128.load (i32.add (local.get $norm) (local.get $c)))
                    (v128.load (i32.add (local.get $dGamma) (local.get $c)))))
                (v128.load (i32.add (local.get $scale) (local.get $c)))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $channels)))
        (local.set $dy (i32.add (local.get $dy) (local.get $row)))
        (local.set $norm (i32.add (local.get $norm) (local.get $row)))
        (local.set $dz (i32.add (local.get $dz) (local.get $row)))
        (if (local.get $mask) (then (local.set $mask (i32.add (local.get $mask) (local.get $row)))))
        (br $rows))))

  ;; Max pooling of x [B, H, W, C] (NHWC) into y [B, outH, outW, C], with arg (int32, y's shape) the flat index into
  ;; x of each window's first maximum (a NaN wins, and the last NaN is kept). Windows are clipped to the image.
  (func (export "maxPoolArgmax")
    (param $x i32) (param $y i32) (param $arg i32) (param $B i32) (param $H i32) (param $W i32) (param $C i32)
    (param $outH i32) (param $outW i32) (param $ph i32) (param $pw i32) (param $sh i32) (param $sw i32)
    (param $top i32) (param $left i32)
    (local $n i32) (local $oy i32) (local $ox i32) (local $y0 i32) (local $y1 i32) (local $x0 i32) (local $x1 i32)
    (local $iy i32) (local $ix i32) (local $c i32) (local $at i32) (local $v v128) (local $best v128)
    (local $idx v128) (local $mask v128)
    (block $ndone
      (loop $ns
        (br_if $ndone (i32.ge_u (local.get $n) (local.get $B)))
        (local.set $oy (i32.const 0))
        (block $oydone
          (loop $oys
            (br_if $oydone (i32.ge_u (local.get $oy) (local.get $outH)))
            (local.set $y0 (i32.sub (i32.mul (local.get $oy) (local.get $sh)) (local.get $top)))
            (local.set $y1 (i32.add (local.get $y0) (local.get $ph)))
            (local.set $y0 (select (i32.const 0) (local.get $y0) (i32.lt_s (local.get $y0) (i32.const 0))))
            (local.set $y1 (select (local.get $H) (local.get $y1) (i32.gt_s (local.get $y1) (local.get $H))))
            (local.set $ox (i32.const 0))
            (block $oxdone
              (loop $oxs
                (br_if $oxdone (i32.ge_u (local.get $ox) (local.get $outW)))
                (local.set $x0 (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $left)))
                (local.set $x1 (i32.add (local.get $x0) (local.get $pw)))
                (local.set $x0 (select (i32.const 0) (local.get $x0) (i32.lt_s (local.get $x0) (i32.const 0))))
                (local.set $x1 (select (local.get $W) (local.get $x1) (i32.gt_s (local.get $x1) (local.get $W))))
                (local.set $c (i32.const 0))
                (block $cdone
                  (loop $cs
                    (br_if $cdone (i32.ge_u (local.get $c) (local.get $C)))
                    (local.set $best (f32x4.splat (f32.const -inf)))
                    ;; the window's first element, in case every value is -inf
                    (local.set $idx
                      (i32x4.add
                        (i32x4.splat
                          (i32.add
                            (i32.mul
                              (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $y0))
                                (local.get $W)) (local.get $x0))
                              (local.get $C))
                            (local.get $c)))
                        (v128.const i32x4 0 1 2 3)))
                    (local.set $iy (local.get $y0))
                    (block $iydone
                      (loop $iys
                        (br_if $iydone (i32.ge_s (local.get $iy) (local.get $y1)))
                        (local.set $ix (local.get $x0))
                        (block $ixdone
                          (loop $ixs
                            (br_if $ixdone (i32.ge_s (local.get $ix) (local.get $x1)))
                            (local.set $at
                              (i32.add
                                (i32.mul
                                  (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $iy))
                                    (local.get $W)) (local.get $ix))
                                  (local.get $C))
                                (local.get $c)))
                            (local.set $v (v128.load (i32.add (local.get $x) (i32.shl (local.get $at) (i32.const 2)))))
                            (local.set $mask
                              (v128.or (f32x4.gt (local.get $v) (local.get $best))
                                (f32x4.ne (local.get $v) (local.get $v))))
                            (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $mask)))
                            (local.set $idx
                              (v128.bitselect
                                (i32x4.add (i32x4.splat (local.get $at)) (v128.const i32x4 0 1 2 3))
                                (local.get $idx)
                                (local.get $mask)))
                            (local.set $ix (i32.add (local.get $ix) (i32.const 1)))
                            (br $ixs)))
                        (local.set $iy (i32.add (local.get $iy) (i32.const 1)))
                        (br $iys)))
                    (v128.store (local.get $y) (local.get $best))
                    (v128.store (local.get $arg) (local.get $idx))
                    (local.set $y (i32.add (local.get $y) (i32.const 16)))
                    (local.set $arg (i32.add (local.get $arg) (i32.const 16)))
                    (local.set $c (i32.add (local.get $c) (i32.const 4)))
                    (br $cs)))
                (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                (br $oxs)))
            (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
            (br $oys)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $ns))))

  ;; dx (zeroed here, nx floats) += dy[i] at arg[i], for the n values of dy.
  (func (export "scatterAdd") (param $dy i32) (param $arg i32) (param $n i32) (param $dx i32) (param $nx i32)
    (local $end i32) (local $at i32)
    (memory.fill (local.get $dx) (i32.const 0) (i32.shl (local.get $nx) (i32.const 2)))
    (local.set $end (i32.add (local.get $dy) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $dy) (local.get $end)))
        (local.set $at (i32.add (local.get $dx) (i32.shl (i32.load (local.get $arg)) (i32.const 2))))
        (f32.store (local.get $at) (f32.add (f32.load (local.get $at)) (f32.load (local.get $dy))))
        (local.set $dy (i32.add (local.get $dy) (i32.const 4)))
        (local.set $arg (i32.add (local.get $arg) (i32.const 4)))
        (br $next))))
)
