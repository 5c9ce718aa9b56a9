import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Everything intake and routing read on every case, loaded once and kept in memory: the taxonomy in force, the
/// entrustments, the parties, the areas (without shapes) and the working calendar.
struct CaseReference: Sendable {
    var taxonomy: Taxonomy
    var entrustments: [EntrustedMatter]
    var orgs: [UUID: Org]
    var departments: [String: PartyRef]
    var streetOffices: [UUID: PartyRef]
    var districtOffice: PartyRef
    var areas: [UUID: Area]
    var areasByCode: [String: Area]
    /// Public facilities by code (QR places besides areas).
    var facilities: [String: Facility]
    var calendar: WorkingCalendar
    var district: Area?

    /// A place a QR code or a `placeCode` names: an area (village, building …) or a public facility.
    enum Place {
        case area(Area)
        case facility(Facility, in: Area)

        var code: String {
            switch self {
            case .area(let a): a.code
            case .facility(let f, _): f.code
            }
        }

        /// The area cases made here are located in.
        var area: Area {
            switch self {
            case .area(let a): a
            case .facility(_, let a): a
            }
        }

        var position: GeoPoint? {
            switch self {
            case .area(let a): a.centre
            case .facility(let f, _): f.position
            }
        }

        func name(_ language: Language) -> String {
            switch self {
            case .area(let a): a.displayName(language)
            case .facility(let f, _): f.displayName(language)
            }
        }

        var facility: Facility? {
            if case .facility(let f, _) = self { return f }
            return nil
        }
    }

    func place(_ code: String) -> Place? {
        if let area = areasByCode[code] { return .area(area) }
        if let f = facilities[code], let area = areas[f.areaID] { return .facility(f, in: area) }
        return nil
    }

    func party(_ org: Org) -> PartyRef { PartyRef(id: org.id, name: org.name, kind: org.kind) }

    /// The street an area lies in.
    func street(of area: Area) -> UUID? { area.path.first { areas[$0]?.kind == .street } }

    /// A street office's own street (its org's street area).
    func street(of actor: Actor) -> UUID? { actor.orgAreas.first { areas[$0]?.kind == .street } }

    /// The villages a scope reaches, by code.
    func villages(in scope: AreaScope) -> [Area] {
        areas.values.filter { $0.kind == .village && scope.includes($0) }.sorted { $0.code < $1.code }
    }

    /// The located path as areas, district first.
    func path(of area: Area) -> [Area] { area.path.compactMap { areas[$0] } }

    func routingPlace(_ area: Area) -> RoutingPlace {
        let path = path(of: area)
        let street = path.first { $0.kind == .street }
        return RoutingPlace(path: path, streetOffice: street.flatMap { streetOffices[$0.id] })
    }

    /// Who dispatches in a place: the steward holding the village, else the street office.
    /// A case's handling limit now: its contract's hours for the matter if the contract routed it, else the category's.
    func handlingLimit(for c: Case) -> TimeLimit {
        let category = taxonomy.eventCategory(c.category.code)
        var hours: Int?
        if c.routing.rule == .entrusted, let contract = c.routing.contractReference, let matter = category?.matter {
            hours = entrustments.first { $0.contractReference == contract && $0.matterCode == matter && $0.timeLimitHours != nil }?.timeLimitHours
        }
        return CaseIntake.handlingLimit(category: category, urgency: c.urgency, contractHours: hours)
    }

    func dispatchCentre(village: UUID?, street: UUID?) -> UUID? {
        village.flatMap { v in entrustments.first { $0.areaID == v }?.steward.id } ?? street.flatMap { streetOffices[$0]?.id }
    }

    func route(_ category: CaseCategory, at area: Area, now: Date) -> RoutingDecision {
        Router.route(category: taxonomy.routingCategory(category, departments: departments), place: routingPlace(area),
                     entrustments: entrustments, districtOffice: districtOffice, at: now)
    }
}

/// The cache of `CaseReference`: reloaded after a local edit, and at most `ttl` stale when another instance edits.
/// A lock rather than an actor: the hit is a read of one value, and every intake asks. One load at a time: when the
/// copy grows old, the request that notices starts a reload and everyone (itself included) keeps using the old copy
/// until it is done; only with no copy at all (first use, or after a local edit) do callers wait, all for that one
/// load. (Before, every concurrent request reloaded on expiry: under 64 connections about half the CPU went to
/// decoding the same categories and areas over and over.)
final class CaseReferenceCache: Sendable {
    private struct State {
        var reference: CaseReference?
        var loadedAt: ContinuousClock.Instant?
        var loading: Task<CaseReference, any Error>?
        /// Bumped by `invalidate`, so a load begun before an edit cannot put back what the edit changed.
        var generation = 0
    }

    private let state = NIOLockedValueBox(State())
    private let ttl: Duration
    let shipped: Taxonomy
    /// Stamps the shipped taxonomy's first version when the cache seeds it.
    let clock: WallClock
    let calendar: WorkingCalendar

    init(shipped: Taxonomy, calendar: WorkingCalendar, clock: WallClock, ttl: Duration = .seconds(30)) {
        self.clock = clock
        self.shipped = shipped
        self.calendar = calendar
        self.ttl = ttl
    }

    /// `db` is only evaluated for a load (making a request's database handle showed up in the intake's profile).
    func get(_ db: @autoclosure () -> any Database) async throws -> CaseReference {
        let ttl = self.ttl
        let now = ContinuousClock.now
        enum Next { case use(CaseReference), wait(Task<CaseReference, any Error>) }
        let next = state.withLockedValue { s -> Next in
            if let r = s.reference, let at = s.loadedAt, now - at < ttl { return .use(r) }
            if s.loading == nil {
                let generation = s.generation
                let db = db()
                s.loading = Task { [self] in
                    do {
                        let loaded = try await self.load(db)
                        self.state.withLockedValue { s in
                            guard s.generation == generation else { return }
                            s.reference = loaded
                            s.loadedAt = .now
                            s.loading = nil
                        }
                        return loaded
                    } catch {
                        self.state.withLockedValue { s in if s.generation == generation { s.loading = nil } }
                        throw error
                    }
                }
            }
            if let r = s.reference { return .use(r) }
            return .wait(s.loading!)
        }
        switch next {
        case .use(let r): return r
        case .wait(let task): return try await task.value
        }
    }

    func invalidate() {
        state.withLockedValue { s in
            s.reference = nil
            s.loadedAt = nil
            s.loading = nil
            s.generation += 1
        }
    }

    private func load(_ db: any Database) async throws -> CaseReference {
        let store = TaxonomyStore(db: db)
        do { try await store.seed(shipped, at: clock.now) } catch {
            // Another instance seeded at the same moment (unique versions); what it wrote is what we read next.
        }
        let taxonomy = try await store.current(deviceEvents: shipped.deviceEvents)
        let directory = DirectoryStore(db: db)
        let orgs = try await directory.orgs()
        let byID = Dictionary(uniqueKeysWithValues: orgs.map { ($0.id, $0) })
        let party = { (o: Org) in PartyRef(id: o.id, name: o.name, kind: o.kind) }
        var departments: [String: PartyRef] = [:]
        for o in orgs where o.kind == .department { departments[o.code] = party(o) }
        let areaList = try await AreaStore(db: db).list(scope: .everything)
        let areas = Dictionary(uniqueKeysWithValues: areaList.map { ($0.id, $0) })
        var streetOffices: [UUID: PartyRef] = [:]
        for o in orgs where o.kind == .streetOffice {
            for areaID in try await directory.areaIDs(ofOrg: o.id) where areas[areaID]?.kind == .street { streetOffices[areaID] = party(o) }
        }
        let office = orgs.first { $0.kind == .districtOffice }.map(party)
            ?? PartyRef(id: UUID(uuidString: "00000000-0000-0000-0000-000000000000")!, name: "区专项工作组办公室", kind: .districtOffice)
        let entrustments = try await store.entrustments().compactMap { e -> EntrustedMatter? in
            guard let steward = byID[e.stewardID], let area = areas[e.areaID] else { return nil }
            return EntrustedMatter(matterCode: e.matterCode, areaID: e.areaID, areaName: area.name, steward: party(steward),
                                   validFrom: e.validFrom, validTo: e.validTo, contractReference: e.contract, timeLimitHours: e.timeLimitHours)
        }
        let facilities = try await FacilityStore(db: db).all()
        return CaseReference(taxonomy: taxonomy, entrustments: entrustments, orgs: byID, departments: departments,
                             streetOffices: streetOffices, districtOffice: office, areas: areas,
                             areasByCode: Dictionary(uniqueKeysWithValues: areaList.map { ($0.code, $0) }),
                             facilities: Dictionary(uniqueKeysWithValues: facilities.map { ($0.code, $0) }), calendar: calendar,
                             district: areaList.first { $0.kind == .district })
    }
}

extension Application {
    private struct CaseReferenceKey: StorageKey { typealias Value = CaseReferenceCache }
    private struct BatcherKey: StorageKey { typealias Value = CaseIntakeBatcher }
    private struct PhotoStorageKey: StorageKey { typealias Value = PhotoStorage }
    private struct RecentCasesKey: StorageKey { typealias Value = RecentCases }

    /// Recent reports for the duplicate check (in memory, refreshed from the database).
    var recentCases: RecentCases {
        get { storage[RecentCasesKey.self]! }
        set { storage[RecentCasesKey.self] = newValue }
    }

    var caseReference: CaseReferenceCache {
        get { storage[CaseReferenceKey.self]! }
        set { storage[CaseReferenceKey.self] = newValue }
    }

    /// Group commit for intake: concurrent reports share one durable transaction (DESIGN §7).
    var intakeBatcher: CaseIntakeBatcher {
        get { storage[BatcherKey.self]! }
        set { storage[BatcherKey.self] = newValue }
    }

    var photoStorage: PhotoStorage {
        get { storage[PhotoStorageKey.self]! }
        set { storage[PhotoStorageKey.self] = newValue }
    }
}

extension Request {
    var cases: CaseStore { CaseStore(db: db) }
    var taxonomyStore: TaxonomyStore { TaxonomyStore(db: db) }
    func caseReference() async throws -> CaseReference { try await application.caseReference.get(db) }
}
