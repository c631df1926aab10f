/// The playground served at GET /, in the binary: no CDN, no build step, works offline.
enum PlaygroundPage {
    static let html = #"""
<!doctype html><html><title>charnn</title><p>playground</p></html>
"""#
}
