import ArgumentParser
import CharRNN
import Foundation

/// Prints a library error as one line on standard error and turns it into the exit code:
/// 1 for bad input or state, 130 or 143 for SIGINT or SIGTERM.
func fail(_ error: Error) -> ExitCode {
    let message: String
    var code: Int32 = 1
    switch error {
    case let error as TrainingError:
        message = error.description
        if case .interrupted(let signal, _) = error { code = 128 + signal }
    case let error as SweepError:
        message = error.description
        if case .interrupted(let signal, _) = error { code = 128 + signal }
    case let error as CustomStringConvertible:
        message = error.description
    default:
        message = "\(error)"
    }
    FileHandle.standardError.write(Data("charnn: error: \(message)\n".utf8))
    return ExitCode(code)
}

/// A flag check of `validate()`: a usage error (exit 64) naming the flag when `ok` is false.
func require(_ ok: Bool, _ message: @autoclosure () -> String) throws {
    if !ok { throw ValidationError(message()) }
}

extension CellKind: ExpressibleByArgument {}
extension WeightPrecision: ExpressibleByArgument {}
extension GRUVariant: ExpressibleByArgument {}
extension Normalization: ExpressibleByArgument {}
extension ScheduleKind: ExpressibleByArgument {}
extension TrainingTask: ExpressibleByArgument {}

/// A duration such as `90`, `90s`, `10m`, `1h30m`, in seconds.
func parseDuration(_ text: String) -> Double? {
    var total = 0.0, number = ""
    for ch in text {
        if ch.isNumber || ch == "." {
            number.append(ch)
        } else {
            guard let value = Double(number) else { return nil }
            switch ch {
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            default: return nil
            }
            number = ""
        }
    }
    if !number.isEmpty {
        guard let value = Double(number) else { return nil }
        total += value
    }
    return total > 0 ? total : nil
}
