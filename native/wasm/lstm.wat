;; The fused LSTM kernels' passes over one step's gates (native/kernels_lstm.ts), in WebAssembly SIMD. The module
;; imports the wasm heap of TF.js's wasm backend; pointers and strides are byte offsets into that heap. A step is
;; `rows` rows (one per sequence) of `U` units, U a multiple of 4 (the caller runs other widths in JavaScript). exp
;; is Cephes's expf (range reduction by ln 2, a degree-6 polynomial: about 1 ulp), sigmoid 1 / (1 + exp(-x)), tanh
;; Cephes's tanhf (an odd polynomial below |x| = 0.625, else 1 - 2 / (exp(2|x|) + 1) with x's sign): float32
;; rounding, not the bits of TF.js's own kernels.
;; Rebuild native/wasm/lstm_wasm.ts from this file with `deno run -A native/wasm/build.ts`.
(module
  (import "env" "memory" (memory 1))

  (func $exp (param $x v128) (result v128)
    (local $fx v128) (local $r v128) (local $y v128)
    (local.set $x (f32x4.min (f32x4.max (local.get $x) (f32x4.splat (f32.const -87.3))) (f32x4.splat (f32.const 88.0))))
    (local.set $fx (f32x4.nearest (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.44269504088896341)))))
    (local.set $r
      (f32x4.sub
        (f32x4.sub (local.get $x) (f32x4.mul (local.get $fx) (f32x4.splat (f32.const 0.693359375))))
        (f32x4.mul (local.get $fx) (f32x4.splat (f32.const -2.12194440e-4)))))
    (local.set $y (f32x4.splat (f32.const 1.9875691500e-4)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 1.3981999507e-3))))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
    (local.set $y
      (f32x4.add
        (f32x4.add (f32x4.mul (local.get $y) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
        (f32x4.splat (f32.const 1))))
    (f32x4.mul
      (local.get $y)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $fx)) (i32x4.splat (i32.const 127))) (i32.const 23))))

  (func $sigmoid (param $x v128) (result v128)
    (f32x4.div
      (f32x4.splat (f32.const 1))
      (f32x4.add (f32x4.splat (f32.const 1)) (call $exp (f32x4.neg (local.get $x))))))

  (func $tanh (param $x v128) (result v128)
    (local $a v128) (local $z v128) (local $p v128) (local $big v128)
    (local.set $a (f32x4.abs (local.get $x)))
    (local.set $big
      (f32x4.sub
        (f32x4.splat (f32.const 1))
        (f32x4.div
          (f32x4.splat (f32.const 2))
          (f32x4.add (call $exp (f32x4.add (local.get $a) (local.get $a))) (f32x4.splat (f32.const 1))))))
    (local.set $big (v128.or (local.get $big) (v128.and (local.get $x) (i32x4.splat (i32.const 0x80000000)))))
    (local.set $z (f32x4.mul (local.get $x) (local.get $x)))
    (local.set $p (f32x4.splat (f32.const -5.70498872745e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (f32x4.splat (f32.const 2.06390887954e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (f32x4.splat (f32.const -5.37397155531e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (f32x4.splat (f32.const 1.33314422036e-1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (f32x4.splat (f32.const -3.33332819422e-1))))
    (v128.bitselect
      (f32x4.add (f32x4.mul (f32x4.mul (local.get $p) (local.get $z)) (local.get $x)) (local.get $x))
      (local.get $big)
      (f32x4.lt (local.get $a) (f32x4.splat (f32.const 0.625)))))

  ;; One forward step: the gates z (i, f, g, o: 4 U values per row, row stride $zs) are activated in place; then
  ;; c = f cPrev + i g goes to $cn, tanh(c) to $tc, h = o tanh(c) to $out and $hn. Row strides: $us for cPrev, tc,
  ;; out; $ns for hn, cn (the next step's hPrev and cPrev, or the final state).
  (func (export "forwardStep")
    (param $z i32) (param $cp i32) (param $tc i32) (param $out i32) (param $hn i32) (param $cn i32)
    (param $rows i32) (param $U i32) (param $zs i32) (param $us i32) (param $ns i32)
    (local $u4 i32) (local $o i32) (local $row i32)
    (local $i v128) (local $f v128) (local $g v128) (local $og v128) (local $c v128) (local $th v128) (local $h v128)
    (local.set $u4 (i32.shl (local.get $U) (i32.const 2)))
    (block $rowsDone
      (loop $nextRow
        (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $o (i32.const 0))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $o) (local.get $u4)))
            (local.set $i (call $sigmoid (v128.load (i32.add (local.get $z) (local.get $o)))))
            (local.set $f
              (call $sigmoid (v128.load (i32.add (i32.add (local.get $z) (local.get $u4)) (local.get $o)))))
            (local.set $g
              (call $tanh
                (v128.load (i32.add (i32.add (local.get $z) (i32.shl (local.get $u4) (i32.const 1))) (local.get $o)))))
            (local.set $og
              (call $sigmoid
                (v128.load
                  (i32.add (i32.add (local.get $z) (i32.mul (local.get $u4) (i32.const 3))) (local.get $o)))))
            (v128.store (i32.add (local.get $z) (local.get $o)) (local.get $i))
            (v128.store (i32.add (i32.add (local.get $z) (local.get $u4)) (local.get $o)) (local.get $f))
            (v128.store
              (i32.add (i32.add (local.get $z) (i32.shl (local.get $u4) (i32.const 1))) (local.get $o))
              (local.get $g))
            (v128.store
              (i32.add (i32.add (local.get $z) (i32.mul (local.get $u4) (i32.const 3))) (local.get $o))
              (local.get $og))
            (local.set $c
              (f32x4.add
                (f32x4.mul (local.get $f) (v128.load (i32.add (local.get $cp) (local.get $o))))
                (f32x4.mul (local.get $i) (local.get $g))))
            (local.set $th (call $tanh (local.get $c)))
            (local.set $h (f32x4.mul (local.get $og) (local.get $th)))
            (v128.store (i32.add (local.get $cn) (local.get $o)) (local.get $c))
            (v128.store (i32.add (local.get $tc) (local.get $o)) (local.get $th))
            (v128.store (i32.add (local.get $out) (local.get $o)) (local.get $h))
            (v128.store (i32.add (local.get $hn) (local.get $o)) (local.get $h))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (br $next)))
        (local.set $z (i32.add (local.get $z) (local.get $zs)))
        (local.set $cp (i32.add (local.get $cp) (local.get $us)))
        (local.set $tc (i32.add (local.get $tc) (local.get $us)))
        (local.set $out (i32.add (local.get $out) (local.get $us)))
        (local.set $hn (i32.add (local.get $hn) (local.get $ns)))
        (local.set $cn (i32.add (local.get $cn) (local.get $ns)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $nextRow))))

  ;; One backward step: from the activated gates z, tanh(c) $tc, cPrev $cp and the output's gradient $dy (row
  ;; strides $zs, $us, $us), and dh, dc of this step's state ($dh, $dc: compact rows of U), the gates' gradient dz
  ;; (row stride $zs) and dc_{t-1} = dc f, written over $dc. dh_{t-1} = dz R^T is the caller's sgemm.
  (func (export "backwardStep")
    (param $z i32) (param $tc i32) (param $cp i32) (param $dy i32) (param $dh i32) (param $dc i32) (param $dz i32)
    (param $rows i32) (param $U i32) (param $zs i32) (param $us i32)
    (local $u4 i32) (local $o i32) (local $row i32)
    (local $i v128) (local $f v128) (local $g v128) (local $og v128) (local $th v128) (local $dhv v128) (local $dcv v128)
    (local $one v128)
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $u4 (i32.shl (local.get $U) (i32.const 2)))
    (block $rowsDone
      (loop $nextRow
        (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
        (local.set $o (i32.const 0))
        (block $done
          (loop $next
            (br_if $done (i32.ge_u (local.get $o) (local.get $u4)))
            (local.set $i (v128.load (i32.add (local.get $z) (local.get $o))))
            (local.set $f (v128.load (i32.add (i32.add (local.get $z) (local.get $u4)) (local.get $o))))
            (local.set $g
              (v128.load (i32.add (i32.add (local.get $z) (i32.shl (local.get $u4) (i32.const 1))) (local.get $o))))
            (local.set $og
              (v128.load (i32.add (i32.add (local.get $z) (i32.mul (local.get $u4) (i32.const 3))) (local.get $o))))
            (local.set $th (v128.load (i32.add (local.get $tc) (local.get $o))))
            (local.set $dhv
              (f32x4.add
                (v128.load (i32.add (local.get $dy) (local.get $o)))
                (v128.load (i32.add (local.get $dh) (local.get $o)))))
            (local.set $dcv
              (f32x4.add
                (f32x4.mul
                  (f32x4.mul (local.get $dhv) (local.get $og))
                  (f32x4.sub (local.get $one) (f32x4.mul (local.get $th) (local.get $th))))
                (v128.load (i32.add (local.get $dc) (local.get $o)))))
            (v128.store (i32.add (local.get $dz) (local.get $o))
              (f32x4.mul
                (f32x4.mul (local.get $dcv) (local.get $g))
                (f32x4.mul (local.get $i) (f32x4.sub (local.get $one) (local.get $i)))))
            (v128.store (i32.add (i32.add (local.get $dz) (local.get $u4)) (local.get $o))
              (f32x4.mul
                (f32x4.mul (local.get $dcv) (v128.load (i32.add (local.get $cp) (local.get $o))))
                (f32x4.mul (local.get $f) (f32x4.sub (local.get $one) (local.get $f)))))
            (v128.store (i32.add (i32.add (local.get $dz) (i32.shl (local.get $u4) (i32.const 1))) (local.get $o))
              (f32x4.mul
                (f32x4.mul (local.get $dcv) (local.get $i))
                (f32x4.sub (local.get $one) (f32x4.mul (local.get $g) (local.get $g)))))
            (v128.store (i32.add (i32.add (local.get $dz) (i32.mul (local.get $u4) (i32.const 3))) (local.get $o))
              (f32x4.mul
                (f32x4.mul (local.get $dhv) (local.get $th))
                (f32x4.mul (local.get $og) (f32x4.sub (local.get $one) (local.get $og)))))
            (v128.store (i32.add (local.get $dc) (local.get $o)) (f32x4.mul (local.get $dcv) (local.get $f)))
            (local.set $o (i32.add (local.get $o) (i32.const 16)))
            (br $next)))
        (local.set $z (i32.add (local.get $z) (local.get $zs)))
        (local.set $dz (i32.add (local.get $dz) (local.get $zs)))
        (local.set $tc (i32.add (local.get $tc) (local.get $us)))
        (local.set $cp (i32.add (local.get $cp) (local.get $us)))
        (local.set $dy (i32.add (local.get $dy) (local.get $us)))
        (local.set $dh (i32.add (local.get $dh) (local.get $u4)))
        (local.set $dc (i32.add (local.get $dc) (local.get $u4)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $nextRow)))))
