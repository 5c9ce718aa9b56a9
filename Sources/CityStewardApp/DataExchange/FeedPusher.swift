import CityStewardCore
import CityStewardStore
import Crypto
import Foundation
import NIOCore
import Vapor

/// Pushes each consumer's feed to its webhook (issue 5 §4): the pull feed's pages (`FeedProjection`), POSTed as
/// JSON in cursor order and signed (`FeedPush.signatureHeader`). A 2xx moves the cursor; anything else, or no
/// answer, waits `FeedPush.backoff` and sends the same page again. Runs in the instance holding the `feed-push`
/// lease. Every attempt that sent events is an audit row, like a pull.
struct FeedPusher {
    static let jobName = "feed-push"
    static let pageSize = 500
    /// Pages per consumer per run, so one busy consumer cannot hold the others up for long.
    static let pagesPerRun = 20

    let app: Application
    let holder: String
    /// How long one POST may take, connecting included (the client retries a refused connection until then).
    var timeout: TimeAmount = .seconds(10)

    static func generateSecret() -> String {
        Hex.encode(Array(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }))
    }

    static func signature(secret: String, timestamp: Int64, body: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: FeedPush.signedPayload(timestamp: timestamp, body: body), using: SymmetricKey(data: Data(secret.utf8)))
        return FeedPush.header(timestamp: timestamp, macHex: Hex.encode(Array(mac)))
    }

    struct Outcome: Sendable, Equatable {
        var delivered = 0
        var events = 0
        var failed = 0
    }

    @discardableResult
    func run(leaseSeconds: TimeInterval = 60) async throws -> Outcome {
        let now = { app.clock.now }
        let leases = JobLeases(db: app.db)
        guard try await leases.acquire(Self.jobName, holder: holder, ttl: leaseSeconds, now: now()) else { return Outcome() }
        let store = ConsumerStore(db: app.db)
        var outcome = Outcome()
        for var hook in try await store.dueWebhooks(now: now()) {
            guard let consumer = try await store.consumer(id: hook.consumerId) else { continue }
            for _ in 0..<Self.pagesPerRun {
                let page = try await FeedProjection(app: app, db: app.db).page(for: consumer, after: hook.cursor, limit: Self.pageSize)
                if page.events.isEmpty { break }
                let sent = await deliver(page, after: hook.cursor, to: hook, consumer: consumer, at: now())
                let detail = "push after=\(hook.cursor); events=\(page.events.count); status=\(sent.status.map(String.init) ?? "none"); rules=v\(consumer.rules.version)"
                try await AuditStore(db: app.db).append(action: AuditAction.feedRead.rawValue, subject: "consumer:\(consumer.code)", detail: detail,
                                                        actorID: nil, actorName: "系统（推送）", at: now())
                if let status = sent.status, (200..<300).contains(status) {
                    guard try await store.recordDelivery(hook, to: page.next, events: page.events.count, status: status, at: now()) else { break }
                    outcome.delivered += 1
                    outcome.events += page.events.count
                    hook.cursor = page.next
                    hook.failures = 0
                } else {
                    try await store.recordFailure(hook, status: sent.status, error: sent.error, at: now())
                    outcome.failed += 1
                    app.logger.warning("Feed push to \(consumer.code) failed (\(sent.error)); next try in \(Int(FeedPush.backoff(afterFailures: hook.failures + 1))) s")
                    break
                }
            }
        }
        try await leases.recordRun(Self.jobName, at: now())
        return outcome
    }

    /// POSTs one page; the status, or nil with why when there was no HTTP answer.
    func deliver(_ page: FeedPage, after: Int64, to hook: ConsumerWebhook, consumer: DataConsumer, at: Date) async -> (status: Int?, error: String) {
        do {
            let secret = try app.fieldCipher.open(hook.secretSealed)
            // Sorted keys: the same page is the same bytes when sent again, so a receiver may compare them.
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let body = Array(try encoder.encode(page))
            return await Self.post(body, to: hook.url, secret: secret, at: at, app: app, timeout: timeout,
                                   headers: ["X-CitySteward-Consumer": consumer.code, "X-CitySteward-Delivery": "\(after)-\(page.next)",
                                             "User-Agent": "CitySteward-FeedPush/1"])
        } catch {
            return (nil, String(describing: error))
        }
    }

    /// One signed JSON POST (the feeds' webhooks, the 12345 hotline): `X-CitySteward-Signature` over the exact bytes;
    /// the status, or nil with why when there was no HTTP answer.
    static func post(_ body: [UInt8], to url: String, secret: String, at: Date, app: Application, timeout: TimeAmount,
                     headers extra: HTTPHeaders) async -> (status: Int?, error: String) {
        var headers = extra
        headers.contentType = .json
        headers.add(name: FeedPush.signatureHeader, value: signature(secret: secret, timestamp: Int64(at.timeIntervalSince1970), body: body))
        do {
            let response = try await app.client.post(URI(string: url), headers: headers) { request in
                request.body = ByteBuffer(bytes: body)
                request.timeout = timeout
            }
            let status = Int(response.status.code)
            return (status, (200..<300).contains(status) ? "" : "HTTP \(status)")
        } catch {
            return (nil, String(describing: error))
        }
    }
}
