import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 client over a plain socket to 127.0.0.1, for the server tests: one request
/// per connection (`Connection: close`), the response read to the end, or read in part and then
/// dropped (a client that goes away mid-stream).
struct HTTPReply {
    var status: Int
    var headers: [String: String]
    var body: Data
    var text: String { String(decoding: body, as: UTF8.self) }

    func json(file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw HarnessError("HTTP \(status): not a JSON object: \(text.prefix(500))")
        }
        return object
    }

    /// The `data:` payloads of a server-sent-events body, in order.
    var events: [String] {
        text.components(separatedBy: "\n\n").compactMap { block in
            block.hasPrefix("data: ") ? String(block.dropFirst(6)) : nil
        }
    }
}

final class LoopbackConnection {
    private let socket: Int32

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw HarnessError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(socket)
            throw HarnessError("cannot connect to 127.0.0.1:\(port)")
        }
    }

    deinit { close(socket) }

    func send(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        var bytes = Data((head + "\r\n").utf8)
        if let body { bytes += body }
        try bytes.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let count = Glibc.send(socket, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                guard count > 0 else { throw HarnessError("send failed after \(sent) bytes") }
                sent += count
            }
        }
    }

    /// Reads until `stop` says enough (given all bytes so far) or the server closes.
    func read(until stop: (Data) -> Bool = { _ in false }) -> Data {
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !stop(received) {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received.append(contentsOf: buffer[0..<count])
        }
        return received
    }

    static func parse(_ raw: Data) throws -> HTTPReply {
        guard let split = raw.range(of: Data("\r\n\r\n".utf8)) else {
            throw HarnessError("no complete HTTP head in \(raw.count) bytes: \(String(decoding: raw, as: UTF8.self).prefix(300))")
        }
        let head = String(decoding: raw[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw HarnessError("bad status line \(head[0])") }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Data(raw[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return HTTPReply(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ data: Data) -> Data {
        var out = Data()
        var index = data.startIndex
        while let lineEnd = data[index...].range(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: data[index..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";")[0], radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            guard data.distance(from: start, to: data.endIndex) >= size else { out += data[start...]; break }
            out += data[start..<(start + size)]
            index = start + size + 2
            if index >= data.endIndex { break }
        }
        return out
    }
}

/// A `charnn serve` started by a test on a free port, stopped (SIGTERM) when the test ends.
final class ServerUnderTest: @unchecked Sendable {  // immutable after init; each request its own connection
    let process: RunningCommand
    let port: Int

    init(sandbox: Sandbox, checkpoint: String, extra: [String] = [],
         file: StaticString = #filePath, line: UInt = #line) throws {
        process = try sandbox.start(["serve", "--checkpoint", checkpoint, "--port", "0"] + extra)
        let deadline = Date().addingTimeInterval(60)
        var found: Int?
        while found == nil, Date() < deadline, process.isRunning {
            let out = (try? String(contentsOf: process.stdoutURL, encoding: .utf8)) ?? ""
            if let range = out.range(of: "http://127.0.0.1:"), let end = out[range.upperBound...].firstIndex(of: "/") {
                found = Int(out[range.upperBound..<end])
            } else {
                usleep(20_000)
            }
        }
        guard let found else {
            throw HarnessError("charnn serve did not print its URL:\n\(process.stderrSoFar)")
        }
        port = found
    }

    deinit {
        process.send(SIGTERM)
        _ = process.wait(timeout: 10)
    }

    func request(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) throws -> HTTPReply {
        let connection = try LoopbackConnection(port: port)
        try connection.send(method, path, body: body, headers: headers)
        return try LoopbackConnection.parse(connection.read())
    }

    func post(_ path: String, _ object: [String: Any]) throws -> HTTPReply {
        try request("POST", path, body: try JSONSerialization.data(withJSONObject: object))
    }

    func get(_ path: String) throws -> HTTPReply { try request("GET", path) }

    /// The text of choice 0 of a non-streamed completion.
    func completion(_ object: [String: Any], path: String = "/v1/completions",
                    file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let reply = try post(path, object)
        XCTAssertEqual(reply.status, 200, reply.text, file: file, line: line)
        let choices = try reply.json()["choices"] as? [[String: Any]]
        return try XCTUnwrap(choices?.first?["text"] as? String, reply.text, file: file, line: line)
    }
}
