import CityStewardStore
import Foundation
import NIOConcurrencyHelpers
import Prometheus
import Vapor

/// Prometheus metrics, one registry per application (no global MetricsSystem, so tests can run many apps).
final class AppMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let poolSize: Int

    init(poolSize: Int) {
        self.poolSize = poolSize
    }

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
    ]

    static var requests: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "citysteward", subsystem: "http", metricName: "requests", unitName: "total",
                                               helpText: "HTTP requests by method, route template and status")
    }
    static var latency: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "citysteward", subsystem: "http", metricName: "request_duration", unitName: "seconds",
                                              helpText: "HTTP request latency by method and route template")
    }
    static var databaseUp: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "citysteward", subsystem: "database", metricName: "up", unitName: "",
                                                 helpText: "1 when the database answered the scrape's ping")
    }
    static var databasePing: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "citysteward", subsystem: "database", metricName: "ping", unitName: "seconds",
                                                   helpText: "Round trip of the scrape's database ping")
    }
    static var databasePool: MetricNameDescriptor {
        MetricNameDescriptor(namespace: "citysteward", subsystem: "database", metricName: "pool", unitName: "connections",
                                                   helpText: "Configured database connections (all event loops)")
    }

    /// A series by the route object itself (its template is formatted only when the series is first made: building
    /// the template string on every request cost more than the rest of recording).
    private struct SeriesKey: Hashable {
        var method: String
        var route: ObjectIdentifier?
        var status: UInt
    }

    /// The registry formats names and label keys on every `make…` call; keeping the instruments per series makes
    /// recording a dictionary hit under a lock.
    private let series = NIOLockedValueBox<[SeriesKey: (Counter, DurationHistogram)]>([:])

    func record(method: HTTPMethod, route: Route?, status: UInt, duration: Duration) {
        let key = SeriesKey(method: method.rawValue, route: route.map(ObjectIdentifier.init), status: status)
        let instruments = series.withLockedValue { cache in
            if let found = cache[key] { return found }
            let method = key.method
            let route = route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "unmatched"
            let made = (registry.makeCounter(descriptor: Self.requests, labels: [("method", method), ("route", route), ("status", String(status))]),
                        registry.makeDurationHistogram(descriptor: Self.latency, labels: [("method", method), ("route", route)],
                                                       buckets: Self.latencyBuckets))
            cache[key] = made
            return made
        }
        instruments.0.increment()
        instruments.1.record(duration)
    }
}

extension Application {
    private struct MetricsKey: StorageKey { typealias Value = AppMetrics }
    var metrics: AppMetrics {
        get { storage[MetricsKey.self]! }
        set { storage[MetricsKey.self] = newValue }
    }

    /// The metrics while the application runs; nil once it has shut down (a request still in flight then is not counted).
    var metricsIfRunning: AppMetrics? { storage[MetricsKey.self] }
}

/// `/healthz` (the process answers), `/readyz` (the database answers), `/metrics` (Prometheus text).
struct HealthController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        // Synchronous on purpose: no task hop, so /healthz measures the framework floor.
        routes.get("healthz") { _ in Health(status: "ok") }
        routes.get("readyz", use: ready)
        routes.get("metrics", use: metrics)
    }

    struct Health: Content {
        var status: String
    }

    @Sendable func ready(req: Request) async throws -> Response {
        do {
            try await DatabaseSetup.ping(req.db)
            return try await Health(status: "ok").encodeResponse(for: req)
        } catch {
            req.logger.warning("readiness check failed: \(error)")
            let response = try await Health(status: "database unavailable").encodeResponse(status: .serviceUnavailable, for: req)
            return response
        }
    }

    @Sendable func metrics(req: Request) async throws -> Response {
        let metrics = req.application.metrics
        let start = ContinuousClock.now
        var up = 1.0
        do { try await DatabaseSetup.ping(req.db) } catch { up = 0 }
        let pingSeconds = ContinuousClock.now - start
        metrics.registry.makeGauge(descriptor: AppMetrics.databaseUp).set(up)
        metrics.registry.makeGauge(descriptor: AppMetrics.databasePing).set(
            Double(pingSeconds.components.seconds) + Double(pingSeconds.components.attoseconds) / 1e18)
        metrics.registry.makeGauge(descriptor: AppMetrics.databasePool).set(Double(metrics.poolSize))
        let intake = req.application.intakeBatcher.statistics
        for (name, value, help) in [("batches", intake.batches, "Intake transactions committed"),
                                    ("reports", intake.reports, "Reports committed by the intake batcher"),
                                    ("largest_batch", intake.largestBatch, "Most reports in one intake transaction"),
                                    ("fallback_batches", intake.fallbackBatches, "Intake batches rerun report by report after a failure")] {
            metrics.registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "citysteward", subsystem: "intake", metricName: name,
                                                                        unitName: "", helpText: help)).set(Double(value))
        }
        metrics.registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "citysteward", subsystem: "intake", metricName: "commit",
                                                                    unitName: "seconds", helpText: "Time spent committing intake batches")).set(intake.commitSeconds)
        let text = metrics.registry.emitToString()
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "plain", parameters: ["version": "0.0.4", "charset": "utf-8"])
        return Response(status: .ok, headers: headers, body: .init(string: text))
    }
}
