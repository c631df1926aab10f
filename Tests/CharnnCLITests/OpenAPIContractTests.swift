import CharRNN
import Foundation
import XCTest

@testable import CharnnServer

/// The routes the server dispatches from (`APIResponder.routes`) and the operations of the
/// document it serves (docs/openapi.json, compiled in as `OpenAPIDocument.json`) are the same set,
/// and the limits the document states only in prose are the server's.
final class OpenAPIContractTests: XCTestCase {
    /// One operation: `POST /v1/sessions/{id}/feed`.
    struct Operation: Hashable, CustomStringConvertible {
        var method: String  // upper case, as on the wire
        var path: String
        var description: String { "\(method) \(path)" }
    }

    static let operationKeys: Set = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// The operations of an OpenAPI document's `paths`.
    static func documentedOperations(_ document: [String: Any]) -> Set<Operation> {
        let paths = document["paths"] as? [String: Any] ?? [:]
        var operations = Set<Operation>()
        for (path, item) in paths {
            for key in (item as? [String: Any] ?? [:]).keys where operationKeys.contains(key) {
                operations.insert(Operation(method: key.uppercased(), path: path))
            }
        }
        return operations
    }

    static func servedOperations(_ routes: [APIRoute]) -> [Operation] {
        routes.map { Operation(method: $0.method.rawValue, path: $0.path) }
    }

    /// One line per operation served but not documented, or documented but not served; sorted.
    static func mismatches(routes: [Operation], document: [String: Any]) -> [String] {
        let served = Set(routes), documented = documentedOperations(document)
        let undocumented = served.subtracting(documented).map {
            "\($0) is served (APIResponder.routes) but not in docs/openapi.json"
        }
        let unserved = documented.subtracting(served).map {
            "\($0) is in docs/openapi.json but APIResponder.routes has no such route"
        }
        return (undocumented + unserved).sorted()
    }

    static func document() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8))
        return try XCTUnwrap(object as? [String: Any], "the served document is not a JSON object")
    }

    /// The value at an RFC 6901 pointer (`~1` is `/`), or nil.
    static func value(at pointer: String, in document: Any) -> Any? {
        var node: Any? = document
        for token in pointer.split(separator: "/").map({ $0.replacingOccurrences(of: "~1", with: "/") }) {
            node = (node as? [String: Any])?[token]
        }
        return node
    }

    func testEveryRouteIsDocumentedAndEveryDocumentedOperationIsServed() throws {
        let routes = Self.servedOperations(APIResponder.routes)
        XCTAssertEqual(Set(routes).count, routes.count, "a method and path listed twice in APIResponder.routes")
        let mismatches = Self.mismatches(routes: routes, document: try Self.document())
        XCTAssertEqual(mismatches, [], "\n" + mismatches.joined(separator: "\n"))
    }

    /// The comparison names what is missing on either side: a route dropped from the table, an
    /// operation dropped from the document, a method that differs.
    func testAMissingRouteOrOperationIsNamed() throws {
        let document = try Self.document()
        var routes = Self.servedOperations(APIResponder.routes)
        routes.removeAll { $0 == Operation(method: "DELETE", path: "/v1/sessions/{id}") }
        XCTAssertEqual(Self.mismatches(routes: routes, document: document),
                       ["DELETE /v1/sessions/{id} is in docs/openapi.json but APIResponder.routes has no such route"])

        var trimmed = document
        var paths = try XCTUnwrap(document["paths"] as? [String: Any])
        paths["/metrics"] = nil
        trimmed["paths"] = paths
        XCTAssertEqual(Self.mismatches(routes: Self.servedOperations(APIResponder.routes), document: trimmed),
                       ["GET /metrics is served (APIResponder.routes) but not in docs/openapi.json"])

        routes = Self.servedOperations(APIResponder.routes).map {
            $0.path == "/v1/score" ? Operation(method: "PUT", path: $0.path) : $0
        }
        XCTAssertEqual(Self.mismatches(routes: routes, document: document),
                       ["POST /v1/score is in docs/openapi.json but APIResponder.routes has no such route",
                        "PUT /v1/score is served (APIResponder.routes) but not in docs/openapi.json"])
    }

    /// Numbers the document gives only in descriptions (the structural ones, such as `logprobs`'
    /// maximum, are compiled from it: `OpenAPIDocument`).
    func testTheLimitsTheDocumentStatesInProseAreTheServers() throws {
        let document = try Self.document()
        let paths = try XCTUnwrap(document["paths"] as? [String: Any])
        let mebibyte = 1 << 20
        XCTAssertEqual(APIResponder.maxBodyBytes % mebibyte, 0, "the 413 descriptions speak in MiB")
        var tooLarge = 0
        for (path, item) in paths {
            for case let (method, operation as [String: Any]) in item as? [String: Any] ?? [:] {
                guard let status = (operation["responses"] as? [String: Any])?["413"] as? [String: Any] else { continue }
                tooLarge += 1
                XCTAssertEqual(status["description"] as? String, "Body over \(APIResponder.maxBodyBytes / mebibyte) MiB",
                               "\(method) \(path)'s 413")
            }
        }
        XCTAssertGreaterThan(tooLarge, 0, "no 413 response in the document")

        let activations = "/paths/~1v1~1activations/post/responses/200/content/application~1json/schema/properties"
        let values = ServedModel.maxTracedValues
        XCTAssertEqual(values.nonzeroBitCount, 1, "the document states maxTracedValues as a power of 2")
        let data = try XCTUnwrap(Self.value(at: "\(activations)/data/description", in: document) as? String)
        let stated = "at most 2^\(values.trailingZeroBitCount) numbers (\(values * 4 / mebibyte) MiB), "
            + "so at most 2^\(values.trailingZeroBitCount) / hidden characters"
        XCTAssertTrue(data.contains(stated), "activations' data: \"\(data)\" does not say \"\(stated)\"")
        let units = try XCTUnwrap(Self.value(at: "\(activations)/most_active_units/description", in: document) as? String)
        XCTAssertTrue(units.hasPrefix("The \(APIResponder.mostActiveCount) units "),
                      "most_active_units: \"\(units)\" does not say \(APIResponder.mostActiveCount)")
    }

    /// The model card's `cell` names every cell charnn has (`CellKind`), so a new cell fails here
    /// until the document names it.
    func testModelSchemaNamesEveryCell() throws {
        let cells = Self.value(at: "components/schemas/Model/properties/cell/enum", in: try Self.document()) as? [String]
        XCTAssertEqual(cells.map(Set.init), Set(CellKind.allCases.map(\.rawValue)),
                       "docs/openapi.json's Model.cell enum against CellKind")
    }
}
