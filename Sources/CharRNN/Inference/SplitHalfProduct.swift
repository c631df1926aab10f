import CKernels

/// The half-precision product y_b += W x_b (`HalfGEMM`) split by output rows between the calling
/// thread and a partner thread (`StepPartner`, which spins between products close together), when
/// it is large enough to pay for the hand-over. The kernel computes every output on its own (its
/// arithmetic does not depend on the rows beside it), so a split product equals one thread's bit
/// for bit.
///
/// The operands are stored before the partner is started and read by it only until it reports its
/// part done; the partner's atomics order those accesses.
final class SplitHalfProduct: SplitStep, @unchecked Sendable {
    /// Products of fewer multiply-adds run on the calling thread alone. With the hand-over through
    /// semaphores (a wake-up through the scheduler per product), served with `--weights f16
    /// --threads 2` to 32 clients (Zen 4, 2026-12-06, splitting from 2²¹): model L, whose recurrent
    /// products are 33 M multiply-adds at 32 streams, gained (9,519 / 9,492 chars/s against 7,599 /
    /// 7,894 on one thread); model S, 2.1 M, lost (67,332 / 73,618 against 84,111 / 86,587). With the
    /// spinning partner a one-stream product of model L (2¹⁹–2²⁰ multiply-adds) pays (see
    /// `TextGenerator.splitsSteps`); from 2¹⁸.
    static let minimumMultiplyAdds = 1 << 18

    private let kernel: HalfGEMM
    private var partner: StepPartner!
    private var weight: UnsafePointer<UInt16>?
    private var rows = 0, partnerRows = 0, cols = 0, inputStride = 0, batch = 0, outputStride = 0
    private var input: UnsafePointer<Float>?
    private var output: UnsafeMutablePointer<Float>?

    init(kernel: HalfGEMM) {
        self.kernel = kernel
        partner = StepPartner(step: self)
    }

    /// Ends the partner's thread; call before releasing this.
    func stop() {
        partner.stop()
    }

    /// y_b += W x_b for b < batch: W (rows, cols), x_b at `input + b·inputStride`, y_b at
    /// `output + b·outputStride`. The partner takes the first rows, a whole number of 16-row panels.
    func multiply(_ weight: UnsafePointer<UInt16>, rows: Int, cols: Int, input: UnsafePointer<Float>, inputStride: Int,
                  batch: Int, into output: UnsafeMutablePointer<Float>, outputStride: Int) {
        let partnerRows = (rows / 2) & ~15
        guard rows * cols * batch >= Self.minimumMultiplyAdds, partnerRows > 0 else {
            kernel(weight, Int64(rows), Int64(cols), input, Int64(inputStride), Int64(batch), output, Int64(outputStride))
            return
        }
        (self.weight, self.rows, self.partnerRows, self.cols, self.input, self.inputStride, self.batch, self.output,
         self.outputStride) = (weight, rows, partnerRows, cols, input, inputStride, batch, output, outputStride)
        partner.run()
    }

    /// Part 1 (the partner) the first `partnerRows` rows, part 0 (the caller) the rest.
    func runPart(_ part: Int) {
        let first = part == 1 ? 0 : partnerRows, count = part == 1 ? partnerRows : rows - partnerRows
        kernel(weight.unsafelyUnwrapped + first * cols, Int64(count), Int64(cols), input, Int64(inputStride),
               Int64(batch), output.unsafelyUnwrapped + first, Int64(outputStride))
    }
}
