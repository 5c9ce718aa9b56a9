import Foundation
import NIOConcurrencyHelpers
import Testing
import Vapor

/// Headless Chromium (Debian package `chromium`) driven over the DevTools protocol from the tests: a real browser
/// rendering the server's pages, running its scripts, filling and submitting its forms. No npm, no driver binary.
final class Browser: @unchecked Sendable {
    static var executable: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Run where Chromium is installed, and always under CI (where a missing browser must fail, not skip).
    static var available: Bool { executable != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    /// Where screenshots go: `CITYSTEWARD_ARTIFACTS` or `.build/test-artifacts` in the checkout.
    static var artifacts: URL {
        if let dir = ProcessInfo.processInfo.environment["CITYSTEWARD_ARTIFACTS"] { return URL(fileURLWithPath: dir) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/test-artifacts")
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let process: Process
    private let profile: URL
    private var socket: WebSocket?
    private let state = NIOLockedValueBox<(next: Int, waiting: [Int: CheckedContinuation<[String: Any], any Error>])>((0, [:]))

    private init(process: Process, profile: URL) {
        self.process = process
        self.profile = profile
    }

    /// Starts Chromium, retrying a start that does not come up: on two busy cores a start has failed once in a
    /// CI run, and the old wait (a fixed port, requests without a timeout) then held every browser suite for 25 min.
    static func launch(width: Int, height: Int, app: Application) async throws -> Browser {
        var lastError: any Error = Failure(description: "Chromium did not start")
        for _ in 0..<3 {
            do {
                return try await launchOnce(width: width, height: height, app: app)
            } catch let failure as Failure {
                lastError = failure
            }
        }
        throw lastError
    }

    private static func launchOnce(width: Int, height: Int, app: Application) async throws -> Browser {
        let group = app.eventLoopGroup
        guard let executable else { throw Failure(description: "Chromium is needed for the browser tests: apt-get install chromium") }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("cs-chromium-\(UUID().uuidString.prefix(8))")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // Port 0: Chromium picks a free port and writes it to DevToolsActivePort in the profile (a random fixed
        // port can collide with another listener that accepts and never answers).
        process.arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                             "--remote-debugging-port=0", "--user-data-dir=\(profile.path)", "about:blank"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let browser = Browser(process: process, profile: profile)
        let deadline = ContinuousClock.now + .seconds(40)
        var pageSocket: String?
        while pageSocket == nil, ContinuousClock.now < deadline, process.isRunning {
            try await Task.sleep(for: .milliseconds(100))
            guard let active = try? String(contentsOf: profile.appendingPathComponent("DevToolsActivePort"), encoding: .utf8),
                  let port = active.split(separator: "\n").first.flatMap({ Int($0) }), port > 0 else { continue }
            guard let reply = try? await app.client.get(URI(string: "http://127.0.0.1:\(port)/json/list"), beforeSend: { $0.timeout = .seconds(5) }),
                  let body = reply.body,
                  let targets = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [[String: Any]] else { continue }
            pageSocket = targets.first { $0["type"] as? String == "page" }?["webSocketDebuggerUrl"] as? String
        }
        guard let pageSocket else {
            await browser.close()
            throw Failure(description: "Chromium did not open its DevTools port")
        }
        do {
            let connected = NIOLockedValueBox<WebSocket?>(nil)
            try await WebSocket.connect(to: pageSocket, configuration: .init(maxFrameSize: 1 << 26), on: group) { ws in
                connected.withLockedValue { $0 = ws }
                ws.onText { _, text in browser.receive(text) }
            }.get()
            // The upgrade callback may run just after the connect future completes.
            for _ in 0..<100 where connected.withLockedValue({ $0 }) == nil { try await Task.sleep(for: .milliseconds(20)) }
            browser.socket = connected.withLockedValue { $0 }
            _ = try await browser.call("Page.enable")
            _ = try await browser.call("Emulation.setDeviceMetricsOverride",
                                       ["width": width, "height": height, "deviceScaleFactor": 2, "mobile": true])
            _ = try await browser.call("Emulation.setTouchEmulationEnabled", ["enabled": true])
        } catch {
            await browser.close()
            throw Failure(description: "Chromium's page did not take the DevTools connection: \(error)")
        }
        return browser
    }

    private func receive(_ text: String) {
        guard let message = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], let id = message["id"] as? Int else { return }
        let waiter = state.withLockedValue { $0.waiting.removeValue(forKey: id) }
        if let error = message["error"] as? [String: Any] {
            waiter?.resume(throwing: Failure(description: "DevTools: \(error)"))
        } else {
            waiter?.resume(returning: message["result"] as? [String: Any] ?? [:])
        }
    }

    @discardableResult
    func call(_ method: String, _ params: [String: Any] = [:]) async throws -> [String: Any] {
        guard let socket else { throw Failure(description: "not connected") }
        let id = state.withLockedValue { s -> Int in
            s.next += 1
            return s.next
        }
        let text = String(decoding: try JSONSerialization.data(withJSONObject: ["id": id, "method": method, "params": params]), as: UTF8.self)
        // A call Chromium never answers fails after a while instead of holding the suite (and CI) indefinitely.
        let watchdog = Task { [state] in
            try await Task.sleep(for: .seconds(120))
            state.withLockedValue { $0.waiting.removeValue(forKey: id) }?
                .resume(throwing: Failure(description: "DevTools did not answer \(method) in 120 s"))
        }
        defer { watchdog.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            state.withLockedValue { $0.waiting[id] = continuation }
            socket.send(text)
        }
    }

    /// The value of a JavaScript expression in the page.
    func evaluate(_ expression: String) async throws -> Any? {
        let result = try await call("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = result["exceptionDetails"] { throw Failure(description: "script failed: \(exception)") }
        return (result["result"] as? [String: Any])?["value"]
    }

    func string(_ expression: String) async throws -> String { try await evaluate(expression) as? String ?? "" }

    /// axe-core, from PyPI's axe-selenium-python (which bundles it) in the venv `.ci/run` makes at `.build/axe-venv`,
    /// or the file `AXE_CORE_JS` names. Under CI a missing copy fails the audit instead of skipping it.
    static var axeScript: String? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let venv = root.appendingPathComponent(".build/axe-venv/lib").path
        let candidates = [ProcessInfo.processInfo.environment["AXE_CORE_JS"]].compactMap { $0 }
            + ((try? FileManager.default.contentsOfDirectory(atPath: venv)) ?? []).map {
                "\(venv)/\($0)/site-packages/axe_selenium_python/node_modules/axe-core/axe.min.js"
            }
        return candidates.lazy.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }.first
    }

    /// The WCAG A/AA violations axe-core finds on the page now: "rule: selector" lines (empty when clean). The copy
    /// axe-selenium-python ships is axe-core 3.1, whose rules are tagged by WCAG 2.0 level (its 2.1 tags came later).
    func accessibilityViolations() async throws -> [String] {
        guard let script = Self.axeScript else {
            if ProcessInfo.processInfo.environment["CI"] != nil { return ["axe-core is missing: pip install axe-selenium-python and set AXE_CORE_JS"] }
            return []   // a developer's machine without the venv: the audit runs in CI
        }
        if try await evaluate("typeof axe === 'undefined'") as? Bool == true { _ = try await evaluate(script + ";true") }
        let found = try await evaluate("""
            axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}}).then(r =>
              r.violations.flatMap(v => v.nodes.map(n => v.id + ': ' + n.target.join(' '))))
            """)
        return found as? [String] ?? ["axe-core gave no result"]
    }

    /// Waits until the page at a location other than `previous` has loaded (after a navigation, link or submit).
    /// (Generous: on two cores with every PostgreSQL suite running beside it, a login has taken over 15 s.)
    func waitForPage(leaving previous: String?, timeout: Duration = .seconds(45)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            let status = (try? await string("document.readyState + ' ' + location.href")) ?? ""
            let parts = status.split(separator: " ", maxSplits: 1).map(String.init)
            if parts.count == 2, parts[0] == "complete", parts[1] != previous { return parts[1] }
        }
        throw Failure(description: "the page did not load in time (still at \(previous ?? "?"))")
    }

    /// Opens a page and audits it with axe-core: every page a browser test opens must pass (WCAG A/AA).
    func open(_ url: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let before = try? await string("location.href")
        try await call("Page.navigate", ["url": url])
        _ = try await waitForPage(leaving: before == url ? nil : before)
        let violations = try await accessibilityViolations()
        #expect(violations.isEmpty, "axe-core on \(url): \(violations)", sourceLocation: sourceLocation)
    }

    /// Clicks the element and waits for the next page.
    func click(_ selector: String) async throws -> String {
        let before = try await string("location.href")
        let found = try await evaluate("(() => { const e = document.querySelector(\(Self.js(selector))); if (!e) return false; e.click(); return true })()") as? Bool
        guard found == true else { throw Failure(description: "nothing matches \(selector) on \(before)") }
        return try await waitForPage(leaving: before)
    }

    func fill(_ selector: String, _ value: String) async throws {
        let ok = try await evaluate("(() => { const e = document.querySelector(\(Self.js(selector))); if (!e) return false; e.value = \(Self.js(value)); return true })()") as? Bool
        guard ok == true else { throw Failure(description: "no field \(selector)") }
    }

    /// Puts files into a file input, as a user choosing them would.
    func setFiles(_ selector: String, _ paths: [String]) async throws {
        let document = try await call("DOM.getDocument")
        guard let root = (document["root"] as? [String: Any])?["nodeId"] as? Int else { throw Failure(description: "no document") }
        let node = try await call("DOM.querySelector", ["nodeId": root, "selector": selector])
        guard let nodeID = node["nodeId"] as? Int, nodeID != 0 else { throw Failure(description: "no input \(selector)") }
        try await call("DOM.setFileInputFiles", ["nodeId": nodeID, "files": paths])
    }

    func screenshot(_ name: String) async throws -> URL {
        let shot = try await call("Page.captureScreenshot", ["format": "png"])
        guard let base64 = shot["data"] as? String, let data = Data(base64Encoded: base64) else { throw Failure(description: "no screenshot") }
        let dir = Self.artifacts.appendingPathComponent("browser")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent(name + ".png")
        try data.write(to: file)
        return file
    }

    /// Serves `app` on a free loopback port and opens a headless Chromium of the given size for `body`, with the
    /// server's base URL; both are closed afterwards, also when `body` throws.
    static func with(_ app: Application, width: Int, height: Int, _ body: (Browser, String) async throws -> Void) async throws {
        // One Chromium at a time across every suite: each is hundreds of MB and a few cores' worth of work, and on a
        // 2-core machine two or more at once (suites run in parallel) time out waiting for pages.
        await BrowserGate.shared.acquire()
        do {
            try await withGate(app, width: width, height: height, body)
        } catch {
            await BrowserGate.shared.release()
            throw error
        }
        await BrowserGate.shared.release()
    }

    private static func withGate(_ app: Application, width: Int, height: Int, _ body: (Browser, String) async throws -> Void) async throws {
        try await app.http.server.shared.start(address: .hostname("127.0.0.1", port: 0))
        let base = "http://127.0.0.1:\(app.http.server.shared.localAddress?.port ?? 0)"
        var browser: Browser?
        do {
            let b = try await launch(width: width, height: height, app: app)
            browser = b
            try await body(b, base)
        } catch {
            await browser?.close()
            await app.http.server.shared.shutdown()
            throw error
        }
        await browser?.close()
        await app.http.server.shared.shutdown()
    }

    /// Stops Chromium and drops the DevTools socket without blocking a thread: a blocking wait here (a close
    /// handshake Chromium never answers, a Chromium that ignores SIGTERM) held cooperative threads and, on two
    /// cores, stopped every other test with it.
    func close() async {
        if process.isRunning { process.terminate() }
        for _ in 0..<30 where process.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for _ in 0..<30 where process.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
        // The socket's peer is gone: closing completes at once instead of waiting for a handshake.
        if let socket, !socket.isClosed { _ = try? await socket.close().get() }
        try? FileManager.default.removeItem(at: profile)
    }

    static func js(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast().description
    }
}

/// Lets one browser test run at a time (an async mutex: waiters queue without holding a thread).
actor BrowserGate {
    static let shared = BrowserGate()
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }
}
