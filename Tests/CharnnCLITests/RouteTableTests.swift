import HTTPTypes
import XCTest

@testable import CharnnServer

/// `APIRoute.dispatch` over `APIResponder.routes`, without a server: which route serves a request,
/// and when the answer is 405 (the path is served, not with this method) or 404.
final class RouteTableTests: XCTestCase {
    func dispatch(_ method: HTTPRequest.Method, _ path: String) -> APIRoute.Dispatch {
        APIRoute.dispatch(method, path.split(separator: "/", omittingEmptySubsequences: true), in: APIResponder.routes)
    }

    func testRequestsReachTheirRouteWithItsParameters() {
        for (method, path, template) in [(HTTPRequest.Method.get, "/", "/"), (.get, "/health", "/health"),
                                         (.get, "//health/", "/health"), (.post, "/v1/sessions", "/v1/sessions"),
                                         (.delete, "/v1/sessions/abc", "/v1/sessions/{id}"),
                                         (.post, "/v1/sessions/abc/feed", "/v1/sessions/{id}/feed"),
                                         (.delete, "/v1/sessions/feed", "/v1/sessions/{id}")] {
            guard case .serve(let route, let parameters) = dispatch(method, path) else {
                XCTFail("\(method) \(path) is not served")
                continue
            }
            XCTAssertEqual(route.path, template, "\(method) \(path)")
            XCTAssertEqual(route.method, method)
            if template.contains("{id}") {
                XCTAssertEqual(parameters["id"], path.split(separator: "/")[2].description, "\(method) \(path)")
            }
        }
    }

    /// 405 names the template (also the metrics label); 404 is "other".
    func testAKnownPathWithAnotherMethodIs405AndAnUnknownPath404() {
        for (method, path, template) in [(HTTPRequest.Method.put, "/v1/completions", "/v1/completions"),
                                         (.get, "/v1/sessions/abc", "/v1/sessions/{id}"),
                                         (.get, "/v1/sessions/abc/feed", "/v1/sessions/{id}/feed"),
                                         (.post, "/v1/sessions/feed", "/v1/sessions/{id}"), (.head, "/", "/"),
                                         (.post, "/health", "/health")] {
            guard case .methodNotAllowed(let served) = dispatch(method, path) else {
                XCTFail("\(method) \(path) is not 405")
                continue
            }
            XCTAssertEqual(served, template)
            XCTAssertEqual(dispatch(method, path).routeName, template)
        }
        for (method, path) in [(HTTPRequest.Method.get, "/v1/nothing"), (.post, "/v1/sessions/abc/other"),
                               (.post, "/v1/sessions/a/b/feed"), (.get, "/health/x"), (.get, "/v2/models")] {
            guard case .notFound = dispatch(method, path) else {
                XCTFail("\(method) \(path) is not 404")
                continue
            }
            XCTAssertEqual(dispatch(method, path).routeName, "other")
        }
    }
}
