import CityStewardCore
import CityStewardStore
import Foundation
import NIOCore
import Vapor

/// Delivers what the 12345 hotline must hear back (`HotlineStore` queue) to `CITYSTEWARD_HOTLINE_URL`: each ticket's
/// steps in order, POSTed as JSON and signed like the feeds' webhooks (`X-CitySteward-Signature: t=…,v1=…`, HMAC-SHA256
/// of "<t>.<body>" with `CITYSTEWARD_HOTLINE_SECRET`). A 2xx marks the step delivered; anything else, or no answer,
/// waits `FeedPush.backoff` and sends the same bytes again. Runs in the instance holding the `hotline-push` lease.
struct HotlinePusher {
    static let jobName = "hotline-push"

    let app: Application
    let holder: String
    var timeout: TimeAmount = .seconds(10)

    struct Outcome: Sendable, Equatable {
        var delivered = 0
        var failed = 0
    }

    @discardableResult
    func run(leaseSeconds: TimeInterval = 60) async throws -> Outcome {
        guard let url = app.config.hotlineURL, let secret = app.config.hotlineSecret else { return Outcome() }
        let now = { app.clock.now }
        let leases = JobLeases(db: app.db)
        guard try await leases.acquire(Self.jobName, holder: holder, ttl: leaseSeconds, now: now()) else { return Outcome() }
        let store = HotlineStore(db: app.db)
        var outcome = Outcome()
        for first in try await store.due(now: now()) {
            // A ticket's steps go one after another in this round, until one is refused (it waits, and those after it).
            var next: HotlinePushRow? = first
            while let push = next {
                let sent = await deliver(push, to: url, secret: secret, at: now())
                guard let status = sent.status, (200..<300).contains(status) else {
                    try await store.failed(push, status: sent.status, error: sent.error, at: now())
                    outcome.failed += 1
                    app.logger.warning("Hotline push \(push.step) for case \(push.caseId) failed (\(sent.error)); next try in \(Int(FeedPush.backoff(afterFailures: push.attempts + 1))) s")
                    break
                }
                try await store.delivered(push, status: status, at: now())
                outcome.delivered += 1
                next = try await store.pushes(ticketID: push.ticketId).first { $0.deliveredAt == nil && $0.seq > push.seq }
            }
        }
        try await leases.recordRun(Self.jobName, at: now())
        return outcome
    }

    func deliver(_ push: HotlinePushRow, to url: String, secret: String, at: Date) async -> (status: Int?, error: String) {
        // The same delivery id on every attempt: the hotline drops a step it already has.
        await FeedPusher.post(Array(push.body.utf8), to: url, secret: secret, at: at, app: app, timeout: timeout,
                              headers: ["X-CitySteward-Delivery": push.id.uuidString.lowercased(), "User-Agent": "CitySteward-Hotline/1"])
    }
}
