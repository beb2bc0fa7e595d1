;; The native backend's im2col and col2im (native/kernels_conv.ts), in WebAssembly SIMD. Like kernels.wat, the module
;; imports the wasm heap of TF.js's wasm backend: `x`, `p` are byte offsets into it. An image is NHWC
;; [B, inH, inW, inC]; the patches of output lines [line0, line1) (a line: one output row of one image, outW pixels)
;; are rows of K = kh * kw * inC floats in [ky, kx, c] order, row after row from `p`; a window reaching into the
;; padding reads zeros. Rebuild native/wasm/conv_wasm.ts from this file with `deno run -A native/wasm/build.ts`.
(module
  (import "env" "memory" (memory 1))

  ;; Copies n floats from s to d (no overlap), four at a time, then one at a time.
  (func $copy (param $d i32) (param $s i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $d) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $d) (local.get $end)))
        (v128.store (local.get $d) (v128.load (local.get $s)))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (local.set $s (i32.add (local.get $s) (i32.const 16)))
        (br $next)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $d) (local.get $end)))
        (f32.store (local.get $d) (f32.load (local.get $s)))
        (local.set $d (i32.add (local.get $d) (i32.const 4)))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (br $next))))

  ;; d += s over n floats, four at a time, then one at a time.
  (func $add (param $d i32) (param $s i32) (param $n i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $d) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $d) (local.get $end)))
        (v128.store (local.get $d) (f32x4.add (v128.load (local.get $d)) (v128.load (local.get $s))))
        (local.set $d (i32.add (local.get $d) (i32.const 16)))
        (local.set $s (i32.add (local.get $s) (i32.const 16)))
        (br $next)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $d) (local.get $end)))
        (f32.store (local.get $d) (f32.add (f32.load (local.get $d)) (f32.load (local.get $s))))
        (local.set $d (i32.add (local.get $d) (i32.const 4)))
        (local.set $s (i32.add (local.get $s) (i32.const 4)))
        (br $next))))

  ;; By rows: for each output pixel and kernel row ky, the kw * inC values of input row iy = oy * sh - top + ky from
  ;; column ix0 = ox * sw - left on are contiguous in NHWC: one copy (or, with $add, one addition back: col2im),
  ;; zeros on the parts that fall outside the image. For runs of many values (several channels).
  (func $rows
    (param $x i32) (param $p i32) (param $inH i32) (param $inW i32) (param $inC i32) (param $outH i32)
    (param $outW i32) (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $top i32)
    (param $left i32) (param $line0 i32) (param $line1 i32) (param $add i32)
    (local $line i32) (local $b i32) (local $iy0 i32) (local $image i32) (local $ox i32) (local $ix0 i32)
    (local $lo i32) (local $hi i32) (local $ky i32) (local $iy i32) (local $at i32) (local $s i32)
    (local $run i32) (local $row i32)
    (local.set $run (i32.shl (i32.mul (local.get $kw) (local.get $inC)) (i32.const 2))) ;; bytes
    (local.set $row (i32.shl (i32.mul (local.get $inW) (local.get $inC)) (i32.const 2))) ;; bytes
    (local.set $at (local.get $p))
    (local.set $line (local.get $line0))
    (block $lines_done
      (loop $lines
        (br_if $lines_done (i32.ge_u (local.get $line) (local.get $line1)))
        (local.set $b (i32.div_u (local.get $line) (local.get $outH)))
        (local.set $iy0
          (i32.sub
            (i32.mul (i32.sub (local.get $line) (i32.mul (local.get $b) (local.get $outH))) (local.get $sh))
            (local.get $top)))
        (local.set $image (i32.add (local.get $x) (i32.mul (i32.mul (local.get $b) (local.get $inH)) (local.get $row))))
        (local.set $ox (i32.const 0))
        (block $ox_done
          (loop $oxs
            (br_if $ox_done (i32.ge_u (local.get $ox) (local.get $outW)))
            (local.set $ix0 (i32.sub (i32.mul (local.get $ox) (local.get $sw)) (local.get $left)))
            ;; The part inside the image, in bytes of the run: [lo, hi) with lo = min(kw, max(0, -ix0)) * inC and
            ;; hi = max(lo, min(kw, inW - ix0) * inC).
            (local.set $lo (select (i32.const 0) (i32.sub (i32.const 0) (local.get $ix0)) (i32.ge_s (local.get $ix0) (i32.const 0))))
            (local.set $lo (select (local.get $kw) (local.get $lo) (i32.gt_s (local.get $lo) (local.get $kw))))
            (local.set $lo (i32.shl (i32.mul (local.get $lo) (local.get $inC)) (i32.const 2)))
            (local.set $hi (i32.sub (local.get $inW) (local.get $ix0)))
            (local.set $hi (select (local.get $kw) (local.get $hi) (i32.lt_s (local.get $kw) (local.get $hi))))
            (local.set $hi (i32.shl (i32.mul (local.get $hi) (local.get $inC)) (i32.const 2)))
            (local.set $hi (select (local.get $lo) (local.get $hi) (i32.lt_s (local.get $hi) (local.get $lo))))
            (local.set $ky (i32.const 0))
            (block $ky_done
              (loop $kys
                (br_if $ky_done (i32.ge_u (local.get $ky) (local.get $kh)))
                (local.set $iy (i32.add (local.get $iy0) (local.get $ky)))
                (local.set $s
                  (i32.add
                    (i32.add (local.get $image) (i32.mul (local.get $iy) (local.get $row)))
                    (i32.shl (i32.mul (local.get $ix0) (local.get $inC)) (i32.const 2))))
                (if (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (local.get $iy) (local.get $inH)))
                  (then
                    (if (local.get $add)
                      (then
                        (call $add
                          (i32.add (local.get $s) (local.get $lo))
                          (i32.add (local.get $at) (local.get $lo))
                          (i32.shr_u (i32.sub (local.get $hi) (local.get $lo)) (i32.const 2))))
                      (else
                        (memory.fill (local.get $at) (i32.const 0) (local.get $lo))
                        (call $copy
                          (i32.add (local.get $at) (local.get $lo))
                          (i32.add (local.get $s) (local.get $lo))
                          (i32.shr_u (i32.sub (local.get $hi) (local.get $lo)) (i32.const 2)))
                        (memory.fill
                          (i32.add (local.get $at) (local.get $hi))
                          (i32.const 0)
                          (i32.sub (local.get $run) (local.get $hi))))))
                  (else
                    (if (i32.eqz (local.get $add)) (then (memory.fill (local.get $at) (i32.const 0) (local.get $run))))))
                (local.set $at (i32.add (local.get $at) (local.get $run)))
                (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
                (br $kys)))
            (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
            (br $oxs)))
        (local.set $line (i32.add (local.get $line) (i32.const 1)))
        (br $lines))))

  ;; im2col by rows.
  (func (export "im2colRows")
    (param $x i32) (param $p i32) (param $inH i32) (param $inW i32) (param $inC i32) (param $outH i32)
    (param $outW i32) (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $top i32)
    (param $left i32) (param $line0 i32) (param $line1 i32)
    (call $rows
      (local.get $x) (local.get $p) (local.get $inH) (local.get $inW) (local.get $inC) (local.get $outH)
      (local.get $outW) (local.get $kh) (local.get $kw) (local.get $sh) (local.get $sw) (local.get $top)
      (local.get $left) (local.get $line0) (local.get $line1) (i32.const 0)))

  ;; col2im: adds the patches at p back into the image at x (each value to the input position it was read from;
  ;; values in the padding are dropped).
  (func (export "col2im")
    (param $x i32) (param $p i32) (param $inH i32) (param $inW i32) (param $inC i32) (param $outH i32)
    (param $outW i32) (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $top i32)
    (param $left i32) (param $line0 i32) (param $line1 i32)
    (call $rows
      (local.get $x) (local.get $p) (local.get $inH) (local.get $inW) (local.get $inC) (local.get $outH)
      (local.get $outW) (local.get $kh) (local.get $kw) (local.get $sh) (local.get $sw) (local.get $top)
      (local.get $left) (local.get $line0) (local.get $line1) (i32.const 1)))

  ;; im2col by columns, for runs of few values (one or two channels): for each output line and each patch column
  ;; (ky, kx, c), one loop along the line, from input column ox * sw - left + kx, with zeros where it falls outside.
  (func (export "im2colColumns")
    (param $x i32) (param $p i32) (param $inH i32) (param $inW i32) (param $inC i32) (param $outH i32)
    (param $outW i32) (param $kh i32) (param $kw i32) (param $sh i32) (param $sw i32) (param $top i32)
    (param $left i32) (param $line0 i32) (param $line1 i32)
    (local $line i32) (local $b i32) (local $iy i32) (local $image i32) (local $ky i32) (local $kx i32)
    (local $c i32) (local $ox0 i32) (local $ox1 i32) (local $ox i32) (local $at i32) (local $s i32)
    (local $K4 i32) (local $step i32) (local $row i32) (local $d i32) (local $inside i32)
    (local.set $K4 (i32.shl (i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $inC)) (i32.const 2)))
    (local.set $step (i32.shl (i32.mul (local.get $sw) (local.get $inC)) (i32.const 2)))
    (local.set $row (i32.shl (i32.mul (local.get $inW) (local.get $inC)) (i32.const 2)))
    (local.set $d (local.get $p))
    (local.set $line (local.get $line0))
    (block $lines_done
      (loop $lines
        (br_if $lines_done (i32.ge_u (local.get $line) (local.get $line1)))
        (local.set $b (i32.div_u (local.get $line) (local.get $outH)))
        (local.set $image (i32.add (local.get $x) (i32.mul (i32.mul (local.get $b) (local.get $inH)) (local.get $row))))
        (local.set $ky (i32.const 0))
        (block $ky_done
          (loop $kys
            (br_if $ky_done (i32.ge_u (local.get $ky) (local.get $kh)))
            (local.set $iy
              (i32.add
                (i32.sub
                  (i32.mul (i32.sub (local.get $line) (i32.mul (local.get $b) (local.get $outH))) (local.get $sh))
                  (local.get $top))
                (local.get $ky)))
            (local.set $inside
              (i32.and (i32.ge_s (local.get $iy) (i32.const 0)) (i32.lt_s (local.get $iy) (local.get $inH))))
            (local.set $kx (i32.const 0))
            (block $kx_done
              (loop $kxs
                (br_if $kx_done (i32.ge_u (local.get $kx) (local.get $kw)))
                ;; The line's pixels whose column kx is inside the image: [ox0, ox1), the first ox with
                ;; ox * sw - left + kx >= 0 and the first with ox * sw - left + kx >= inW, both capped at outW.
                (local.set $ox0 (i32.const 0))
                (if (i32.gt_s (i32.sub (local.get $left) (local.get $kx)) (i32.const 0))
                  (then
                    (local.set $ox0
                      (i32.div_s
                        (i32.add (i32.sub (local.get $left) (local.get $kx)) (i32.sub (local.get $sw) (i32.const 1)))
                        (local.get $sw)))))
                (local.set $ox1
                  (i32.div_s
                    (i32.add
                      (i32.sub (i32.add (local.get $inW) (local.get $left)) (local.get $kx))
                      (i32.sub (local.get $sw) (i32.const 1)))
                    (local.get $sw)))
                (if (i32.gt_s (local.get $ox0) (local.get $outW)) (then (local.set $ox0 (local.get $outW))))
                (if (i32.gt_s (local.get $ox1) (local.get $outW)) (then (local.set $ox1 (local.get $outW))))
                (if (i32.lt_s (local.get $ox1) (local.get $ox0)) (then (local.set $ox1 (local.get $ox0))))
                (if (i32.eqz (local.get $inside))
                  (then (local.set $ox0 (local.get $outW)) (local.set $ox1 (local.get $outW))))
                (local.set $c (i32.const 0))
                (block $c_done
                  (loop $cs
                    (br_if $c_done (i32.ge_u (local.get $c) (local.get $inC)))
                    (local.set $at
                      (i32.add
                        (local.get $d)
                        (i32.shl
                          (i32.add
                            (i32.mul (i32.add (i32.mul (local.get $ky) (local.get $kw)) (local.get $kx)) (local.get $inC))
                            (local.get $c))
                          (i32.const 2))))
                    (local.set $ox (i32.const 0))
                    (block $zeros_done
                      (loop $zeros
                        (br_if $zeros_done (i32.ge_s (local.get $ox) (local.get $ox0)))
                        (f32.store (local.get $at) (f32.const 0))
                        (local.set $at (i32.add (local.get $at) (local.get $K4)))
                        (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                        (br $zeros)))
                    (local.set $s
                      (i32.add
                        (i32.add (local.get $image) (i32.mul (local.get $iy) (local.get $row)))
                        (i32.shl
                          (i32.add
                            (i32.mul
                              (i32.add
                                (i32.sub (i32.mul (local.get $ox0) (local.get $sw)) (local.get $left))
                                (local.get $kx))
                              (local.get $inC))
                            (local.get $c))
                          (i32.const 2))))
                    (block $copy_done
                      (loop $copy
                        (br_if $copy_done (i32.ge_s (local.get $ox) (local.get $ox1)))
                        (f32.store (local.get $at) (f32.load (local.get $s)))
                        (local.set $at (i32.add (local.get $at) (local.get $K4)))
                        (local.set $s (i32.add (local.get $s) (local.get $step)))
                        (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                        (br $copy)))
                    (block $zeros_done
                      (loop $zeros
                        (br_if $zeros_done (i32.ge_s (local.get $ox) (local.get $outW)))
                        (f32.store (local.get $at) (f32.const 0))
                        (local.set $at (i32.add (local.get $at) (local.get $K4)))
                        (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
                        (br $zeros)))
                    (local.set $c (i32.add (local.get $c) (i32.const 1)))
                    (br $cs)))
                (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
                (br $kxs)))
            (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
            (br $kys)))
        (local.set $d (i32.add (local.get $d) (i32.mul (local.get $outW) (local.get $K4))))
        (local.set $line (i32.add (local.get $line) (i32.const 1)))
        (br $lines)))))
