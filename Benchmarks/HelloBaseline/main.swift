import Vapor

// The same-run HTTP baseline for scripts/bench: plain Vapor, one synchronous JSON route, default middleware,
// as in reference/perf-baseline.md §1. The product's /healthz is reported as a ratio to this.
struct Hello: Content {
    let message: String
    let ok: Bool
}

let env = try Environment.detect()
let app = try await Application.make(env)
app.logger.logLevel = .warning
app.get("hello") { _ in Hello(message: "Hello, world!", ok: true) }
do {
    try await app.execute()
} catch {
    app.logger.report(error: error)
}
try await app.asyncShutdown()
