;; The native backend's elementwise kernels, in WebAssembly SIMD. The module imports the wasm heap of TF.js's
;; wasm backend, so it reads and writes tensors in place; pointers are byte offsets into that heap, `n` counts
;; float32 elements. Each kernel runs four lanes at a time (f32x4), then the last n % 4 elements one by one, with
;; the same float32 operations in the same order as the composite TF.js rule (so both give the same bits).
;; Rebuild native/wasm/kernels_wasm.ts from this file with `deno run -A native/wasm/build.ts`.
(module
  (import "env" "memory" (memory 1))

  ;; Adam: m1 = m b1 + g (1 - b1); s1 = s b2 + g^2 (1 - b2); v1 = v - (m1 a) / (sqrt(s1 c2) + eps).
  (func (export "adam")
    (param $v i32) (param $g i32) (param $m i32) (param $s i32)
    (param $v1 i32) (param $m1 i32) (param $s1 i32) (param $n i32)
    (param $b1 f32) (param $b2 f32) (param $ob1 f32) (param $ob2 f32) (param $a f32) (param $c2 f32) (param $eps f32)
    (local $o i32) (local $end i32)
    (local $gv v128) (local $mv v128) (local $sv v128)
    (local $gs f32) (local $ms f32) (local $ss f32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $o))))
        (local.set $mv
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $o))) (f32x4.splat (local.get $b1)))
            (f32x4.mul (local.get $gv) (f32x4.splat (local.get $ob1)))))
        (local.set $sv
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $s) (local.get $o))) (f32x4.splat (local.get $b2)))
            (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (f32x4.splat (local.get $ob2)))))
        (v128.store (i32.add (local.get $m1) (local.get $o)) (local.get $mv))
        (v128.store (i32.add (local.get $s1) (local.get $o)) (local.get $sv))
        (v128.store (i32.add (local.get $v1) (local.get $o))
          (f32x4.sub
            (v128.load (i32.add (local.get $v) (local.get $o)))
            (f32x4.div
              (f32x4.mul (local.get $mv) (f32x4.splat (local.get $a)))
              (f32x4.add
                (f32x4.sqrt (f32x4.mul (local.get $sv) (f32x4.splat (local.get $c2))))
                (f32x4.splat (local.get $eps))))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $gs (f32.load (i32.add (local.get $g) (local.get $o))))
        (local.set $ms
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $m) (local.get $o))) (local.get $b1))
            (f32.mul (local.get $gs) (local.get $ob1))))
        (local.set $ss
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $s) (local.get $o))) (local.get $b2))
            (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $ob2))))
        (f32.store (i32.add (local.get $m1) (local.get $o)) (local.get $ms))
        (f32.store (i32.add (local.get $s1) (local.get $o)) (local.get $ss))
        (f32.store (i32.add (local.get $v1) (local.get $o))
          (f32.sub
            (f32.load (i32.add (local.get $v) (local.get $o)))
            (f32.div
              (f32.mul (local.get $ms) (local.get $a))
              (f32.add (f32.sqrt (f32.mul (local.get $ss) (local.get $c2))) (local.get $eps)))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $next))))

  ;; SGD: v1 = v - g lr.
  (func (export "sgd") (param $v i32) (param $g i32) (param $v1 i32) (param $n i32) (param $lr f32)
    (local $o i32) (local $end i32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (v128.store (i32.add (local.get $v1) (local.get $o))
          (f32x4.sub
            (v128.load (i32.add (local.get $v) (local.get $o)))
            (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $o))) (f32x4.splat (local.get $lr)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (i32.add (local.get $v1) (local.get $o))
          (f32.sub
            (f32.load (i32.add (local.get $v) (local.get $o)))
            (f32.mul (f32.load (i32.add (local.get $g) (local.get $o))) (local.get $lr))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $next))))

  ;; Momentum: acc1 = acc mu + g; step = nesterov ? g + acc1 mu : acc1; v1 = v - step lr.
  (func (export "momentum")
    (param $v i32) (param $g i32) (param $acc i32) (param $v1 i32) (param $acc1 i32) (param $n i32)
    (param $lr f32) (param $mu f32) (param $nesterov i32)
    (local $o i32) (local $end i32) (local $gv v128) (local $av v128) (local $gs f32) (local $as f32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $o))))
        (local.set $av
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $acc) (local.get $o))) (f32x4.splat (local.get $mu)))
            (local.get $gv)))
        (v128.store (i32.add (local.get $acc1) (local.get $o)) (local.get $av))
        (v128.store (i32.add (local.get $v1) (local.get $o))
          (f32x4.sub
            (v128.load (i32.add (local.get $v) (local.get $o)))
            (f32x4.mul
              (select (result v128)
                (f32x4.add (local.get $gv) (f32x4.mul (local.get $av) (f32x4.splat (local.get $mu))))
                (local.get $av)
                (local.get $nesterov))
              (f32x4.splat (local.get $lr)))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $gs (f32.load (i32.add (local.get $g) (local.get $o))))
        (local.set $as
          (f32.add (f32.mul (f32.load (i32.add (local.get $acc) (local.get $o))) (local.get $mu)) (local.get $gs)))
        (f32.store (i32.add (local.get $acc1) (local.get $o)) (local.get $as))
        (f32.store (i32.add (local.get $v1) (local.get $o))
          (f32.sub
            (f32.load (i32.add (local.get $v) (local.get $o)))
            (f32.mul
              (select (result f32)
                (f32.add (local.get $gs) (f32.mul (local.get $as) (local.get $mu)))
                (local.get $as)
                (local.get $nesterov))
              (local.get $lr))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $next))))

  ;; RMSProp: ms1 = ms d + g^2 (1 - d); step = (g lr) / sqrt(ms1 + eps), plus mom mu when momentum is on
  ;; (then mom1 = step, else mom1 = mom); v1 = v - step.
  (func (export "rmsprop")
    (param $v i32) (param $g i32) (param $ms i32) (param $mom i32)
    (param $v1 i32) (param $ms1 i32) (param $mom1 i32) (param $n i32)
    (param $lr f32) (param $d f32) (param $od f32) (param $mu f32) (param $eps f32) (param $withMomentum i32)
    (local $o i32) (local $end i32) (local $gv v128) (local $msv v128) (local $step v128)
    (local $gs f32) (local $mss f32) (local $steps f32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $o))))
        (local.set $msv
          (f32x4.add
            (f32x4.mul (v128.load (i32.add (local.get $ms) (local.get $o))) (f32x4.splat (local.get $d)))
            (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (f32x4.splat (local.get $od)))))
        (v128.store (i32.add (local.get $ms1) (local.get $o)) (local.get $msv))
        (local.set $step
          (f32x4.div
            (f32x4.mul (local.get $gv) (f32x4.splat (local.get $lr)))
            (f32x4.sqrt (f32x4.add (local.get $msv) (f32x4.splat (local.get $eps))))))
        (local.set $step
          (select (result v128)
            (f32x4.add
              (f32x4.mul (v128.load (i32.add (local.get $mom) (local.get $o))) (f32x4.splat (local.get $mu)))
              (local.get $step))
            (local.get $step)
            (local.get $withMomentum)))
        (v128.store (i32.add (local.get $mom1) (local.get $o))
          (select (result v128)
            (local.get $step)
            (v128.load (i32.add (local.get $mom) (local.get $o)))
            (local.get $withMomentum)))
        (v128.store (i32.add (local.get $v1) (local.get $o))
          (f32x4.sub (v128.load (i32.add (local.get $v) (local.get $o))) (local.get $step)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $gs (f32.load (i32.add (local.get $g) (local.get $o))))
        (local.set $mss
          (f32.add
            (f32.mul (f32.load (i32.add (local.get $ms) (local.get $o))) (local.get $d))
            (f32.mul (f32.mul (local.get $gs) (local.get $gs)) (local.get $od))))
        (f32.store (i32.add (local.get $ms1) (local.get $o)) (local.get $mss))
        (local.set $steps
          (f32.div
            (f32.mul (local.get $gs) (local.get $lr))
            (f32.sqrt (f32.add (local.get $mss) (local.get $eps)))))
        (local.set $steps
          (select (result f32)
            (f32.add (f32.mul (f32.load (i32.add (local.get $mom) (local.get $o))) (local.get $mu)) (local.get $steps))
            (local.get $steps)
            (local.get $withMomentum)))
        (f32.store (i32.add (local.get $mom1) (local.get $o))
          (select (result f32)
            (local.get $steps)
            (f32.load (i32.add (local.get $mom) (local.get $o)))
            (local.get $withMomentum)))
        (f32.store (i32.add (local.get $v1) (local.get $o))
          (f32.sub (f32.load (i32.add (local.get $v) (local.get $o))) (local.get $steps)))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $next))))

  ;; ReLU in place: x = max(x, 0) (NaN stays NaN).
  (func (export "relu") (param $x i32) (param $n i32)
    (local $o i32) (local $end i32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (v128.store (i32.add (local.get $x) (local.get $o))
          (f32x4.max (v128.load (i32.add (local.get $x) (local.get $o))) (v128.const f32x4 0 0 0 0)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (i32.add (local.get $x) (local.get $o))
          (f32.max (f32.load (i32.add (local.get $x) (local.get $o))) (f32.const 0)))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $next))))

  ;; ReLU's backward from its output: dx = dy where y > 0, else 0.
  (func (export "reluGrad") (param $dy i32) (param $y i32) (param $dx i32) (param $n i32)
    (local $o i32) (local $end i32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (v128.store (i32.add (local.get $dx) (local.get $o))
          (v128.and
            (v128.load (i32.add (local.get $dy) (local.get $o)))
            (f32x4.gt (v128.load (i32.add (local.get $y) (local.get $o))) (v128.const f32x4 0 0 0 0))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (f32.store (i32.add (local.get $dx) (local.get $o))
          (select (result f32)
            (f32.load (i32.add (local.get $dy) (local.get $o)))
            (f32.const 0)
            (f32.gt (f32.load (i32.add (local.get $y) (local.get $o))) (f32.const 0))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $next))))

  ;; The sum of x * 0 over n elements: 0 when every element is finite, NaN when one is NaN or infinite (no
  ;; overflow, unlike a plain sum).
  (func (export "nonFinite") (param $x i32) (param $n i32) (result f32)
    (local $o i32) (local $end i32) (local $acc v128) (local $s f32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $acc
          (f32x4.add (local.get $acc)
            (f32x4.mul (v128.load (i32.add (local.get $x) (local.get $o))) (v128.const f32x4 0 0 0 0))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next)))
    (local.set $s
      (f32.add
        (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
        (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $s
          (f32.add (local.get $s) (f32.mul (f32.load (i32.add (local.get $x) (local.get $o))) (f32.const 0))))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $next)))
    (local.get $s))

  ;; A synthesizer's L2 regression: d = pred - target * targetScale, g = d * gScale; returns sum(d^2) (summed in
  ;; four lanes, then across them).
  (func (export "l2Regression")
    (param $pred i32) (param $target i32) (param $g i32) (param $n i32) (param $targetScale f32) (param $gScale f32)
    (result f32)
    (local $o i32) (local $end i32) (local $d v128) (local $acc v128) (local $ds f32) (local $s f32)
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $d
          (f32x4.sub
            (v128.load (i32.add (local.get $pred) (local.get $o)))
            (f32x4.mul (v128.load (i32.add (local.get $target) (local.get $o))) (f32x4.splat (local.get $targetScale)))))
        (local.set $acc (f32x4.add (local.get $acc) (f32x4.mul (local.get $d) (local.get $d))))
        (v128.store (i32.add (local.get $g) (local.get $o)) (f32x4.mul (local.get $d) (f32x4.splat (local.get $gScale))))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $next)))
    (local.set $s
      (f32.add
        (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
        (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $o) (local.get $end)))
        (local.set $ds
          (f32.sub
            (f32.load (i32.add (local.get $pred) (local.get $o)))
            (f32.mul (f32.load (i32.add (local.get $target) (local.get $o))) (local.get $targetScale))))
        (local.set $s (f32.add (local.get $s) (f32.mul (local.get $ds) (local.get $ds))))
        (f32.store (i32.add (local.get $g) (local.get $o)) (f32.mul (local.get $ds) (local.get $gScale)))
        (local.set $o (i32.add (local.get $o) (i32.const 4)))
        (br $next)))
    (local.get $s)))
