import CityStewardCore
import CityStewardStore
import FluentKit
import Foundation
import Vapor

struct FeedEvent: Content, Equatable {
    var cursor: Int64
    var kind: String
    var time: String?
    var grid: String?
    var lat: Double?
    var long: Double?
    var direction: String?
    var method: String?
    var person: String?
    var plate: String?
    var eventType: String?
    var category: String?
    var confidence: Double?
    var image: String?
}

struct FeedPage: Content, Equatable {
    var consumer: String
    var rulesVersion: Int
    var events: [FeedEvent]
    /// Pass as `after` for the next page (equal to `after` when nothing new has come).
    var next: Int64
}

/// One page of a consumer's feed, every field passed through the consumer's rules: the pull feed and the push
/// webhook send exactly this, so what leaves is decided in one place.
struct FeedProjection {
    let app: Application
    let db: any Database

    func page(for consumer: DataConsumer, after: Int64, limit: Int) async throws -> FeedPage {
        let rows = try await ConsumerStore(db: db).events(for: consumer, after: after, limit: limit)
        let reference = try await app.caseReference.get(db)
        let devices = Dictionary(uniqueKeysWithValues: try await DeviceStore(db: db).all().map { ($0.id, $0) })
        let cipher = app.fieldCipher
        let d = Desensitizer(rules: consumer.rules, pseudonymize: cipher.pseudonymizer(consumer: consumer.code), gridCode: { _ in nil })
        let events = rows.map { r -> FeedEvent in
            let device = devices[r.deviceId]
            let area = device.flatMap { reference.areas[$0.areaId] }
            let place: (point: GeoPoint?, grid: String?)
            switch consumer.rules.technique(for: .position) {
            case .keep: place = (device.map { GeoPoint(lat: $0.lat, long: $0.long) }, area?.code)
            case .generalize: place = (nil, area?.code)
            default: place = (nil, nil)
            }
            let person = r.personSealed.flatMap { try? cipher.open($0) }
            let plate = r.plateSealed.flatMap { try? cipher.open($0) }
            return FeedEvent(cursor: r.seq, kind: r.kind, time: d.time(r.at).map(Open311Projection.datetime), grid: place.grid,
                             lat: place.point?.lat, long: place.point?.long, direction: r.direction, method: r.method,
                             person: d.text(person, .personRef), plate: d.text(plate, .plate), eventType: r.eventType,
                             category: r.categoryCode, confidence: r.confidence, image: d.text(r.imageRef, .faceImage))
        }
        return FeedPage(consumer: consumer.code, rulesVersion: consumer.rules.version, events: events, next: rows.last?.seq ?? after)
    }
}
