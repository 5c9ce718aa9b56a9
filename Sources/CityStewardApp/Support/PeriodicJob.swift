import CityStewardCore
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Background work that runs every `interval` seconds while the app serves, in every instance. Each job takes its
/// own lease row (`JobLeases`), so with several instances one does the work and another takes over when it dies.
/// A failure is logged and the next round tries again.
final class PeriodicJob: LifecycleHandler, Sendable {
    let name: String
    let interval: TimeInterval
    /// One round: the app, this instance's lease holder name, and how long the lease should last.
    let work: @Sendable (Application, _ holder: String, _ leaseSeconds: TimeInterval) async throws -> Void
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(name: String, interval: TimeInterval, work: @escaping @Sendable (Application, String, TimeInterval) async throws -> Void) {
        self.name = name
        self.interval = interval
        self.work = work
    }

    /// A name for this instance that no other instance has (host, process, random suffix).
    static func holderName() -> String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID.random().uuidString.prefix(8))"
    }

    func didBootAsync(_ application: Application) async throws {
        let holder = Self.holderName()
        let (name, interval, work) = (self.name, self.interval, self.work)
        // A lease outlives a few missed rounds, so a slow round does not hand the job to another instance.
        let lease = max(interval * 3, 60)
        task.withLockedValue { running in
            running = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(interval))
                    if Task.isCancelled { break }
                    let started = ContinuousClock.now
                    do { try await work(application, holder, lease) } catch {
                        application.logger.warning("\(name) failed: \(String(describing: error))")
                    }
                    // A long round shares the database with the requests it runs beside: worth knowing about.
                    let took = ContinuousClock.now - started
                    if took > .milliseconds(500) { application.logger.notice("\(name) round took \(took.components.seconds * 1000 + took.components.attoseconds / 1_000_000_000_000_000) ms") }
                }
            }
        }
    }

    /// Waits for a round in progress to end: the databases shut down after this, and a round still running would
    /// reach for them (a crash seen in the tests when a round and the shutdown met).
    func shutdownAsync(_ application: Application) async {
        let running = task.withLockedValue { t -> Task<Void, Never>? in
            t?.cancel()
            return t
        }
        await running?.value
    }
}
