import CityStewardCore
import FluentKit
import Foundation
import SQLKit

public struct DeviceRow: Codable, Sendable, Equatable {
    public var id: UUID
    public var code: String
    public var kind: String
    public var name: String
    public var vendor: String
    public var status: String
    public var areaId: UUID
    public var areaPath: String
    public var streetId: UUID?
    public var lat: Double
    public var long: Double
    public var tokenId: UUID?
    public var createdAt: Date

    public init(id: UUID = UUID(), code: String, kind: DeviceKind, name: String, vendor: String, area: Area, position: GeoPoint, tokenID: UUID?, createdAt: Date) {
        self.id = id
        self.code = code
        self.kind = kind.rawValue
        self.name = name
        self.vendor = vendor
        status = "active"
        areaId = area.id
        areaPath = Area.encodePath(area.path)
        streetId = area.streetID
        lat = position.lat
        long = position.long
        tokenId = tokenID
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, code, kind, name, vendor, status, lat, long
        case areaId = "area_id", areaPath = "area_path", streetId = "street_id", tokenId = "token_id", createdAt = "created_at"
    }
}

/// An event as stored.
extension DeviceEventRow {
    public init(_ e: SealedDeviceEvent, device: DeviceRow) {
        self.init(id: e.id, deviceId: device.id, clientId: e.clientID, kind: "gate", at: e.at, receivedAt: e.receivedAt, areaPath: device.areaPath,
                  streetId: device.streetId)
        switch e.body {
        case .gate(let direction, let method, let person, let plate, let masked):
            self.direction = direction.rawValue
            self.method = method.rawValue
            personSealed = person
            plateSealed = plate
            plateMasked = masked
        case .ai(let type, let category, let confidence, let image):
            kind = "ai"
            eventType = type
            categoryCode = category
            self.confidence = confidence
            imageRef = image
        }
    }
}

public struct DeviceEventRow: Codable, Sendable, Equatable {
    public var id: UUID
    /// Assigned when stored.
    public var seq: Int64 = 0
    public var deviceId: UUID
    public var clientId: String
    public var kind: String
    public var at: Date
    public var receivedAt: Date
    public var areaPath: String
    public var streetId: UUID?
    public var direction: String?
    public var method: String?
    public var personSealed: String?
    public var plateSealed: String?
    public var plateMasked: String?
    public var eventType: String?
    public var categoryCode: String?
    public var confidence: Double?
    public var imageRef: String?
    public var caseId: UUID?

    public init(id: UUID = .random(), deviceId: UUID, clientId: String, kind: String, at: Date, receivedAt: Date, areaPath: String, streetId: UUID?,
                direction: String? = nil, method: String? = nil, personSealed: String? = nil, plateSealed: String? = nil, plateMasked: String? = nil,
                eventType: String? = nil, categoryCode: String? = nil, confidence: Double? = nil, imageRef: String? = nil, caseId: UUID? = nil) {
        self.id = id
        self.deviceId = deviceId
        self.clientId = clientId
        self.kind = kind
        self.at = at
        self.receivedAt = receivedAt
        self.areaPath = areaPath
        self.streetId = streetId
        self.direction = direction
        self.method = method
        self.personSealed = personSealed
        self.plateSealed = plateSealed
        self.plateMasked = plateMasked
        self.eventType = eventType
        self.categoryCode = categoryCode
        self.confidence = confidence
        self.imageRef = imageRef
        self.caseId = caseId
    }

    enum CodingKeys: String, CodingKey {
        case id, seq, kind, at, direction, method, confidence
        case deviceId = "device_id", clientId = "client_id", receivedAt = "received_at", areaPath = "area_path", streetId = "street_id"
        case personSealed = "person_sealed", plateSealed = "plate_sealed", plateMasked = "plate_masked", eventType = "event_type"
        case categoryCode = "category_code", imageRef = "image_ref", caseId = "case_id"
    }
}

public struct DeviceStore: Sendable {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }
    static let encoder = SQLQueryEncoder(nilEncodingStrategy: .asNil)

    public init(db: any Database) {
        self.db = db
    }

    /// Registers a checked device, sending with the key `tokenID`; the stored row.
    @discardableResult
    public func add(_ device: ValidDevice, tokenID: UUID?, at now: Date) async throws -> DeviceRow {
        let row = DeviceRow(code: device.code, kind: device.kind, name: device.name, vendor: device.vendor, area: device.area,
                            position: device.position, tokenID: tokenID, createdAt: now)
        try await sql.insert(into: "devices").model(row, with: Self.encoder).run()
        return row
    }

    public func all() async throws -> [DeviceRow] {
        try await sql.select().column("*").from("devices").orderBy("code").all(decoding: DeviceRow.self)
    }

    public func find(code: String) async throws -> DeviceRow? {
        try await sql.select().column("*").from("devices").where("code", .equal, code).first(decoding: DeviceRow.self)
    }

    /// A retired device's events are refused from now on; its rows and history stay.
    public func retire(_ id: UUID) async throws {
        try await sql.update("devices").set("status", to: "retired").where("id", .equal, id).run()
    }

    /// The key the device sends with from now on.
    public func setKey(_ id: UUID, tokenID: UUID) async throws {
        try await sql.update("devices").set("token_id", to: tokenID).where("id", .equal, id).run()
    }

    public func find(codes: [String]) async throws -> [String: DeviceRow] {
        guard !codes.isEmpty else { return [:] }
        var out: [String: DeviceRow] = [:]
        for chunk in stride(from: 0, to: codes.count, by: 500) {
            for d in try await sql.select().column("*").from("devices").where("code", .in, Array(codes[chunk..<min(codes.count, chunk + 500)]))
                .all(decoding: DeviceRow.self) { out[d.code] = d }
        }
        return out
    }

    /// What a batch left in the table.
    public struct Stored: Sendable, Equatable {
        /// Events stored now (a retry's duplicates are not counted).
        public var count: Int
        /// The ids of the stored events that are not gate passes (AI events, which may become cases).
        public var nonGateIDs: Set<UUID>
    }

    /// Stores new events; an event whose (device, client id) is stored already is skipped. One transaction: all of a
    /// batch or none.
    /// Stores checked events from the devices that sent them (see `insert(_:)` for what is answered).
    public func insert(_ events: [(event: SealedDeviceEvent, device: DeviceRow)]) async throws -> Stored {
        try await insert(events.map { DeviceEventRow($0.event, device: $0.device) })
    }

    public func insert(_ events: [DeviceEventRow]) async throws -> Stored {
        guard !events.isEmpty else { return Stored(count: 0, nonGateIDs: []) }
        // Refused for another writer's lock: the transaction rolled back, so it is tried again whole.
        return try await LockContention.retrying { try await insertOnce(events) }
    }

    public static let columns = ["id", "seq", "device_id", "client_id", "kind", "at", "received_at", "area_path", "street_id", "direction", "method",
                          "person_sealed", "plate_sealed", "plate_masked", "event_type", "category_code", "confidence", "image_ref", "case_id"]

    /// The row's values in `columns` order, bound directly: Codable encoding was the largest single cost of a batch.
    public static func values(_ e: DeviceEventRow) -> [any SQLExpression] {
        func opt<T: Encodable & Sendable>(_ v: T?) -> any SQLExpression { v.map { SQLBind($0) } ?? SQLLiteral.null }
        return [SQLBind(e.id), SQLBind(e.seq), SQLBind(e.deviceId), SQLBind(e.clientId), SQLBind(e.kind), SQLBind(e.at), SQLBind(e.receivedAt),
                SQLBind(e.areaPath), opt(e.streetId), opt(e.direction), opt(e.method), opt(e.personSealed), opt(e.plateSealed), opt(e.plateMasked),
                opt(e.eventType), opt(e.categoryCode), opt(e.confidence), opt(e.imageRef), opt(e.caseId)]
    }

    private func insertOnce(_ events: [DeviceEventRow]) async throws -> Stored {
        try await db.writeTransaction { tx in
            let sql = tx as! any SQLDatabase
            // One writer at a time takes the next cursor positions and commits them, so positions become visible in
            // order (SQLite serializes writers already; readers are not blocked on PostgreSQL).
            if sql.dialect.name != "sqlite" { try await sql.raw("LOCK TABLE device_events IN SHARE ROW EXCLUSIVE MODE").run() }
            let last = try await sql.select().column(SQLFunction("MAX", args: SQLColumn("seq")), as: "m").from("device_events")
                .first(decodingColumn: "m", as: Int64?.self) ?? nil
            let first = (last ?? 0) + 1
            // Positions are taken for every event, duplicates too; a skipped duplicate leaves a gap, which cursors
            // step over. So what this batch stored is exactly what lies in [first, first + count) afterwards.
            for chunk in stride(from: 0, to: events.count, by: 400) {
                var rows: [[any SQLExpression]] = []
                rows.reserveCapacity(400)
                for i in chunk..<min(events.count, chunk + 400) {
                    var e = events[i]
                    e.seq = first + Int64(i)
                    rows.append(Self.values(e))
                }
                try await sql.execute(sql: FastSQL.Insert(table: "device_events", columns: Self.columns, rows: rows, onConflictDoNothing: true)) { _ in }
            }
            let range = { (q: SQLSelectBuilder) in
                q.from("device_events").where("seq", .greaterThanOrEqual, first).where("seq", .lessThan, first + Int64(events.count))
            }
            let count = try await range(sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")).first(decodingColumn: "n", as: Int.self) ?? 0
            var ids = Set<UUID>()
            if events.contains(where: { $0.kind != "gate" }) {
                for row in try await range(sql.select().column("id")).where("kind", .notEqual, "gate").all() {
                    ids.insert(try row.decode(column: "id", as: UUID.self))
                }
            }
            return Stored(count: count, nonGateIDs: ids)
        }
    }

    /// Per device: its latest event's time and how many events it sent since `since`.
    public func activity(since: Date) async throws -> [UUID: (last: Date, recent: Int)] {
        let rows = try await sql.raw("""
            SELECT device_id, MAX(at) AS last, CAST(SUM(CASE WHEN received_at >= \(bind: since) THEN 1 ELSE 0 END) AS BIGINT) AS recent
            FROM device_events GROUP BY device_id
            """).all()
        var out: [UUID: (last: Date, recent: Int)] = [:]
        for r in rows {
            out[try r.decode(column: "device_id", as: UUID.self)] = (try r.decode(column: "last", as: Date.self), try r.decode(column: "recent", as: Int.self))
        }
        return out
    }

    public func setCase(eventID: UUID, caseID: UUID) async throws {
        try await sql.update("device_events").set("case_id", to: caseID).where("id", .equal, eventID).run()
    }

    public func count() async throws -> Int {
        try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("device_events").first(decodingColumn: "n", as: Int.self) ?? 0
    }

    public func events(device: UUID? = nil, limit: Int = 100) async throws -> [DeviceEventRow] {
        let q = sql.select().column("*").from("device_events")
        if let device { q.where("device_id", .equal, device) }
        return try await q.orderBy("at", .descending).limit(limit).all(decoding: DeviceEventRow.self)
    }
}
