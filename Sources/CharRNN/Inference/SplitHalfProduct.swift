import CKernels

/// The half-precision product y_b += W x_b (`HalfGEMM`) split by output rows between the calling
/// thread and one helper thread, when it is large enough to pay for the hand-over (two semaphore
/// signals). The kernel computes every output on its own (its arithmetic does not depend on the
/// rows beside it), so a split product equals one thread's bit for bit.
///
/// The operands are stored before the helper is started and read by it only until it signals
/// done; the semaphores order those accesses.
final class SplitHalfProduct: @unchecked Sendable {
    /// Products of fewer multiply-adds run on the calling thread alone. Served with `--weights f16
    /// --threads 2` to 32 clients (Zen 4, 2026-12-06, splitting from 2²¹): model L, whose recurrent
    /// products are 33 M multiply-adds at 32 streams, gained (9,519 / 9,492 chars/s against 7,599 /
    /// 7,894 on one thread); model S, 2.1 M, lost (67,332 / 73,618 against 84,111 / 86,587): the
    /// hand-over and the HTTP side's share of the second core cost more than the split saves. From
    /// 2²³, L splits from 8 streams and S only from 128.
    static let minimumMultiplyAdds = 1 << 23

    private let kernel: HalfGEMM
    private var helper: WorkerThread!
    private var weight: UnsafePointer<UInt16>?
    private var rows = 0, cols = 0, inputStride = 0, batch = 0, outputStride = 0
    private var input: UnsafePointer<Float>?
    private var output: UnsafeMutablePointer<Float>?

    init(kernel: HalfGEMM) {
        self.kernel = kernel
        helper = WorkerThread { [unowned self] in
            kernel(weight, Int64(rows), Int64(cols), input, Int64(inputStride), Int64(batch), output, Int64(outputStride))
        }
    }

    /// Ends the helper thread; call before releasing this.
    func stop() {
        helper.stop()
    }

    /// y_b += W x_b for b < batch: W (rows, cols), x_b at `input + b·inputStride`, y_b at
    /// `output + b·outputStride`. The helper takes the first rows, a whole number of 16-row panels.
    func multiply(_ weight: UnsafePointer<UInt16>, rows: Int, cols: Int, input: UnsafePointer<Float>, inputStride: Int,
                  batch: Int, into output: UnsafeMutablePointer<Float>, outputStride: Int) {
        let helperRows = (rows / 2) & ~15
        guard rows * cols * batch >= Self.minimumMultiplyAdds, helperRows > 0 else {
            kernel(weight, Int64(rows), Int64(cols), input, Int64(inputStride), Int64(batch), output, Int64(outputStride))
            return
        }
        (self.weight, self.rows, self.cols, self.input, self.inputStride, self.batch, self.output, self.outputStride)
            = (weight, helperRows, cols, input, inputStride, batch, output, outputStride)
        helper.start()
        kernel(weight + helperRows * cols, Int64(rows - helperRows), Int64(cols), input, Int64(inputStride),
               Int64(batch), output + helperRows, Int64(outputStride))
        helper.wait()
    }
}
