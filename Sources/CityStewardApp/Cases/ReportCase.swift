import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Vapor

/// The one intake use case behind every channel (API, patrol page, device alerts, the demo): validate, locate,
/// route, set the deadline, flag likely duplicates, store photos and commit through the group committer.
struct ReportCase {
    struct Input: Sendable {
        var report: CaseReport
        var source: CaseSource
        var photos: [(data: Data, role: PhotoRole)] = []
        /// Patrol staff fixed it on the spot (needs before/after photos).
        var selfHandled = false
        var handledNote: String?
        var idempotencyKey: String?
        /// Who reported, when not the signed-in user's display name (a device's code).
        var reporterName: String?
        /// A resident's report (portal, Open311): a tracking link is made, and the phone kept sealed for follow-up.
        var resident: ResidentContact?
    }

    struct ResidentContact: Sendable {
        var phone: ContactNumber?
        var language: Language
        /// The form's key: the tracking token is derived from it, so a form posted twice answers with the same link.
        var formKey: String?
    }

    struct Outcome: Sendable {
        /// The case as stored (numbered).
        var saved: Case
        var duplicateOf: RecentCases.Entry?
        var created: Bool
        /// The secret of the tracking link (`/t/{token}`), for a resident's report; shown once, stored hashed.
        var trackingToken: String?
    }

    let app: Application
    /// Made only when a query is needed: most intakes are answered from the caches and the batch writer.
    private let database: @Sendable () -> any Database
    var db: any Database { database() }
    let logger: Logger
    /// Where the answer is written: the batch writer answers here, so the request goes on without changing thread.
    let eventLoop: any EventLoop

    init(request: Request) {
        app = request.application
        database = { request.db }
        logger = request.logger
        eventLoop = request.eventLoop
    }

    init(app: Application) {
        self.app = app
        database = { app.db }
        logger = app.logger
        eventLoop = app.eventLoopGroup.any()
    }

    static func outsideDistrict(_ name: String) -> DomainError {
        .unprocessable(field: "lat", LocalizedText(zh: "该位置不在\(name)范围内", en: "the position is outside \(name == "龙华区" ? "Longhua District" : name)"))
    }

    func run(_ input: Input, actor: Actor?, now: Date) async throws -> Outcome {
        try input.report.validate()
        let reference = try await app.caseReference.get(db)
        let token = input.resident.map { contact in contact.formKey.map { app.fieldCipher.derivedToken("tracking", $0) } ?? Self.trackingToken() }
        if let key = input.idempotencyKey, let existing = try await CaseStore(db: db).find(idempotencyKey: key) {
            return Outcome(saved: existing.case, duplicateOf: nil, created: false, trackingToken: token)
        }
        let code = input.report.category!
        guard let category = reference.taxonomy.eventCategory(code) else {
            throw DomainError.refused("category", zh: "没有类别代码 \(code)（应为 GB/T 47678.5 的 5 位事项代码，如 06010 暴露垃圾）",
                                      en: "unknown category \(code) (a 5-digit GB/T 47678.5 matter code, e.g. 06010 exposed garbage)")
        }
        let districtName = reference.district?.name ?? "龙华区"

        // Locate: the position's grid, or the place code's area (and its centre as the position).
        var area: Area
        var position: GeoPoint
        if let p = input.report.position {
            guard let grid = try await app.gridLocator.grid(at: p, store: AreaStore(db: db)), let cached = reference.areas[grid.id] else {
                // Inside the district but outside every grid still belongs to the district's street polygons if any.
                throw Self.outsideDistrict(districtName)
            }
            area = cached
            position = p
        } else {
            let placeCode = input.report.placeCode!
            guard let place = reference.place(placeCode) else {
                throw DomainError.refused("placeCode", zh: "没有地点代码 \(placeCode)", en: "unknown placeCode \(placeCode)")
            }
            guard let centre = place.position else {
                throw DomainError.unprocessable(field: "placeCode", LocalizedText(zh: "地点 \(placeCode) 没有坐标，请提供 lat/long", en: "place \(placeCode) has no position; send lat and long"))
            }
            area = place.area
            position = centre
        }

        let prepared = try PreparedPhoto.prepare(input.photos, policy: .standard)

        let path = reference.path(of: area)
        let village = path.first { $0.kind == .village }, street = path.first { $0.kind == .street }
        // Likely duplicate: same category within 50 m and 48 h (flagged for the dispatcher, never dropped).
        let duplicate = try await app.recentCases.nearest(category: category.code, at: position, now: now, db: db)
        let located = CaseIntake.Located(
            category: category, categoryVersion: reference.taxonomy.version(of: category.code),
            ownerDepartmentID: category.ownerDepartment.flatMap { reference.departments[$0]?.id }, area: area, path: path, position: position,
            routing: reference.route(category, at: area, now: now),
            dispatchCentre: reference.dispatchCentre(village: village?.id, street: street?.id),
            duplicateOf: duplicate?.id)
        let id = UUID.timeOrdered(at: now)
        let opened = try CaseIntake.open(input.report, id: id, located: located,
                                         origin: .init(source: input.source, reporter: actor, reporterName: input.reporterName, selfHandled: input.selfHandled,
                                                       handledNote: input.handledNote, idempotencyKey: input.idempotencyKey,
                                                       contactUnreadable: input.resident?.phone.map { $0.number == nil } ?? false),
                                         photos: prepared.map(\.casePhoto), now: now, calendar: reference.calendar)
        var resident: ResidentTracking?
        if let contact = input.resident, let secret = token {
            let cipher = app.fieldCipher
            resident = ResidentTracking(token: secret, phone: try contact.phone.map { phone in
                switch phone {
                case .number(let n): ResidentTracking.SealedPhone(sealed: try cipher.seal(n.sealedForm), index: cipher.blindIndex(n.e164), masked: n.masked)
                case .unreadable(let text): ResidentTracking.SealedPhone(sealed: try cipher.seal(text), index: nil, masked: phone.masked)
                }
            }, language: contact.language)
        }
        let new = CaseStore.NewCase(opened, resident: resident)

        let created = prepared.isEmpty ? [] : try await app.photoStorage.write(prepared)
        let year = reference.calendar.localDate(now).year
        do {
            var saved = opened.opened
            saved.number = try await app.intakeBatcher.submit(new, year: year, on: eventLoop).get().number
            app.caseCounts.changed()
            app.recentCases.insert([(saved.category.code, RecentCases.Entry(id: saved.id, number: saved.number, position: saved.position,
                                                                            reportedAt: saved.workflow.reportedAt))])
            return Outcome(saved: saved, duplicateOf: duplicate, created: true, trackingToken: token)
        } catch {
            // Nothing half written: the transaction rolled back; remove the files this request created.
            let store = CaseStore(db: db)
            var orphans: [String] = []
            for file in created {
                let hash = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
                if try await !store.photoFileInUse(hash) { orphans.append(file) }
            }
            await app.photoStorage.remove(orphans)
            if let key = input.idempotencyKey, let existing = try await store.find(idempotencyKey: key) {
                return Outcome(saved: existing.case, duplicateOf: nil, created: false, trackingToken: token)   // the same form, posted twice at once
            }
            throw error
        }
    }

    /// 128 random bits, URL-safe: the tracking link's secret.
    static func trackingToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A flat JSON object of strings, sorted by key (event details): `FlatJSON.object`.
    static func detail(_ values: [String: String]) -> String? { FlatJSON.object(values) }

    static func quoted(_ text: String) -> String { FlatJSON.quoted(text) }
}
