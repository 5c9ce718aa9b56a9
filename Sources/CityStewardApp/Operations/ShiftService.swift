import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Vapor

/// The steward's shifts (排班, issue 18 §5): a roster puts a team (or some of its people) on a shift in one area on
/// the days its rule picks from the working calendar; nobody is on two shifts at once; a shift not yet begun can be
/// cancelled (its row stays). Each shift's figures: tasks due and done, cases given and worked, during it.
struct ShiftService {
    let req: Request

    var shifts: ShiftStore { ShiftStore(db: req.db) }
    var operations: OperationsService { OperationsService(req: req) }

    static let rosterForbidden = DomainError.forbidden(LocalizedText(zh: "只有本单位调度员可以排班", en: "only the company's dispatcher makes the roster"))
    /// The longest period one list or one set of figures covers.
    static let maxListDays = 31

    /// The caller (who must see operations at all) and the shifts it sees.
    func actor() throws -> (Actor, OperationsScope) {
        let (actor, _) = try operations.actor()
        return (actor, OperationsAccess.shiftScope(for: actor))
    }

    // MARK: Roster

    /// The roster form's reference: the areas the caller may plan for one steward (code → id) and its teams with members.
    func reference(steward: UUID, areas: [String: (area: Area, steward: UUID)]) async throws -> ShiftReference {
        let teams = try await TeamStore(db: req.db).list(orgs: [steward])
        return ShiftReference(areas: areas.filter { $0.value.steward == steward }.mapValues(\.area.id),
                              teams: Dictionary(uniqueKeysWithValues: teams.map { ($0.row.id, $0.members) }))
    }

    /// Makes a roster's shifts, all or none: the form's problems and every clash with a shift already held come back
    /// together, by field.
    func roster(_ input: ShiftInput) async throws -> [StoredShift] {
        let (actor, _) = try actor()
        guard OperationsAccess.mayPlanAny(actor) else { throw Self.rosterForbidden }
        let areas = try await operations.plannableAreas(actor)
        let code = input.area.trimmingCharacters(in: .whitespaces)
        // The steward serving the chosen area; no area yet: the team's own steward, for the other checks.
        var steward = areas[code]?.steward
        if steward == nil, let team = UUID(uuidString: input.team.trimmingCharacters(in: .whitespaces)) {
            steward = try await TeamStore(db: req.db).find(team).map(\.row.orgId)
        }
        let org = steward ?? actor.org?.id ?? UUID()
        guard OperationsAccess.mayPlan(actor, stewardID: org) else { throw Self.rosterForbidden }
        let today = LocalDate.beijing(req.now)
        let terms: ShiftTerms
        switch ShiftRules.validate(input, reference: try await reference(steward: org, areas: areas), today: today) {
        case .failure(let problems): throw problems
        case .success(let t): terms = t
        }
        let calendar = try await req.caseReference().calendar
        let slots = ShiftRules.slots(terms, calendar: calendar)
        guard let first = slots.first, let last = slots.last else { throw FieldProblems([ShiftRules.noDays]) }
        // A shift starting today before now is not rostered after the fact.
        if first.start < req.now, first.date == today {
            throw FieldProblems([FieldProblem(field: "start", reason: LocalizedText(zh: "今天的班次已开始，请从明天排起或改上班时间",
                                                                                     en: "today's shift has begun: start tomorrow or later in the day"))])
        }
        let users = try await DirectoryStore(db: req.db).users()
        let names = Dictionary(uniqueKeysWithValues: users.map { ($0.id, $0.displayName) })
        let booked = try await shifts.bookings(of: terms.members, from: first.start, until: last.end)
        if let clash = ShiftRules.clashProblem(ShiftRules.clashes(terms, slots: slots, booked: booked), name: { names[$0] ?? "—" }) {
            throw FieldProblems([clash])
        }
        guard let area = try await req.caseReference().areas[terms.area] else { throw Self.rosterForbidden }
        let (now, who) = (req.now, actor)
        return try await req.db.writeTransaction { tx in
            let made = try await ShiftStore(db: tx).create(terms, slots: slots, org: org, area: area, by: who.user.id, at: now)
            try await AuditStore(db: tx).append(action: AuditAction.rosterChanged.rawValue, subject: "roster:\(made[0].row.rosterId.uuidString.lowercased())",
                                                detail: "rostered \(made.count) shifts \(terms.from)…\(terms.through) \(TimeWindow.text(terms.start)) for \(terms.length) min; \(terms.members.count) people",
                                                actorID: who.user.id, actorName: who.user.displayName, at: now)
            return made
        }
    }

    /// Cancels a shift that has not begun, or it and the rest of its roster from it on. Returns how many.
    func cancel(_ id: String, following: Bool) async throws -> Int {
        let (actor, _) = try actor()
        let found = try await shift(id)
        guard OperationsAccess.mayPlan(actor, stewardID: found.row.orgId) else { throw Self.rosterForbidden }
        guard found.row.cancelledAt == nil else {
            throw DomainError.conflict(zh: "这个班次已取消", en: "this shift is already cancelled")
        }
        guard found.row.startsAt > req.now else {
            throw DomainError.conflict(zh: "班次已开始，不能取消", en: "the shift has begun and cannot be cancelled")
        }
        let ids = following ? try await shifts.following(roster: found.row.rosterId, from: found.row.startsAt).map(\.id) : [found.row.id]
        let (now, who) = (req.now, actor)
        return try await req.db.writeTransaction { tx in
            let n = try await ShiftStore(db: tx).cancel(ids, by: who.user.id, at: now)
            try await AuditStore(db: tx).append(action: AuditAction.rosterChanged.rawValue, subject: "roster:\(found.row.rosterId.uuidString.lowercased())",
                                                detail: "cancelled \(n) shifts from \(found.row.date)", actorID: who.user.id, actorName: who.user.displayName, at: now)
            return n
        }
    }

    // MARK: Reading

    struct Page {
        var items: [StoredShift]
        var loads: [UUID: ShiftLoad]
        var total: Int
        var next: String?
    }

    /// Shifts starting from `from` through `through` (default: today and the next six days), a page at a time, with
    /// their figures. Line staff see the shifts they are on.
    func list(from: LocalDate?, through: LocalDate?, team: String?, area code: String?, mine: Bool, cancelled: Bool,
              after: String? = nil, limit: Int = 200) async throws -> Page {
        let (actor, scope) = try actor()
        let first = from ?? LocalDate.beijing(req.now), last = through ?? first.adding(days: 6)
        guard last >= first, last.dayNumber - first.dayNumber < Self.maxListDays else {
            throw DomainError.refused("through", zh: "日期范围为 1~\(Self.maxListDays) 天", en: "the dates span 1 to \(Self.maxListDays) days")
        }
        var filter = ShiftFilter(from: first.beijingMidnight, until: last.adding(days: 1).beijingMidnight, includeCancelled: cancelled, limit: limit + 1)
        if let team, !team.isEmpty {
            guard let id = UUID(uuidString: team) else { throw DomainError.invalid("team", zh: "team 应为班组编号", en: "team must be a team id") }
            filter.team = id
        }
        if let code, !code.isEmpty {
            guard let area = try await req.caseReference().areasByCode[code] else { return Page(items: [], loads: [:], total: 0, next: nil) }
            filter.underPath = Area.encodePath(area.path)
        }
        if mine || OperationsAccess.listsOwnWorkOnly(actor) { filter.person = actor.user.id }
        if let after, !after.isEmpty {
            guard let id = UUID(uuidString: after), let row = try? await shifts.find(id, scope).row else {
                throw DomainError.refused("after", zh: "after 应为上一页返回的 next", en: "after must be the next value of a page")
            }
            filter.after = row
        }
        let rows = try await shifts.list(scope, filter)
        filter.after = nil
        let total = try await shifts.count(scope, filter)
        let items = Array(rows.prefix(limit))
        return Page(items: items, loads: try await loads(items), total: total, next: rows.count > limit ? items.last?.row.id.uuidString.lowercased() : nil)
    }

    /// One shift in scope; line staff open only the shifts they are on (another answers as missing).
    func shift(_ id: String) async throws -> StoredShift {
        let (actor, scope) = try actor()
        guard let uuid = UUID(uuidString: id) else { throw ShiftStore.notFound }
        let found = try await shifts.find(uuid, scope)
        if OperationsAccess.listsOwnWorkOnly(actor), !found.members.contains(actor.user.id) { throw ShiftStore.notFound }
        return found
    }

    /// The figures of some shifts, from one read of the tasks, assignments and case steps their span covers.
    func loads(_ list: [StoredShift]) async throws -> [UUID: ShiftLoad] {
        let live = list.filter { $0.row.cancelledAt == nil }
        guard let from = live.map(\.row.startsAt).min(), let until = live.map(\.row.endsAt).max() else { return [:] }
        let teams = Array(Set(live.map(\.row.teamId))), people = Array(Set(live.flatMap(\.members)))
        let tasks = try await shifts.shiftTasks(teams: teams, people: people, from: from, until: until)
        let assigned = try await shifts.caseAssignments(teams: teams, people: people, from: from, until: until)
        let steps = try await shifts.caseSteps(people: people, from: from, until: until)
        let loads = ShiftLoad.of(live.map(\.rostered), tasks: tasks, assignments: assigned, steps: steps)
        return Dictionary(uniqueKeysWithValues: loads.map { ($0.shift, $0) })
    }

    /// Rostered staff per area over a period (beside the workload figures).
    func rosteredStaff(from: LocalDate, through: LocalDate) async throws -> [RosteredStaff] {
        let (_, scope) = try actor()
        return try await shifts.rosteredStaff(scope, from: from.beijingMidnight, until: through.adding(days: 1).beijingMidnight)
    }
}
