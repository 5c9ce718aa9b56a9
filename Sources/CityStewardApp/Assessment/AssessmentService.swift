import CityStewardCore
import CityStewardStore
import Fluent
import Foundation
import Vapor

/// The annual assessment (考核, plan §10), first part: plans made and published by the district office, frozen once
/// published (a change is a new version with its reason, both kept), and each village's score computed from the
/// records — cases, ratings, work plans, patrols and spot checks — with every point explained down to its records.
struct AssessmentService {
    let req: Request

    var store: AssessmentStore { AssessmentStore(db: req.db, location: req.application.config.database) }

    static let forbidden = DomainError.forbidden(LocalizedText(zh: "只有区管理部门可以制定和公布考核方案", en: "only the district office makes and publishes assessment plans"))

    func actor() throws -> Actor {
        let actor = try req.requireActor()
        guard AssessmentAccess.scope(for: actor) != .nothing else {
            throw DomainError.forbidden(LocalizedText(zh: "无权查看考核", en: "not allowed to see the assessment"))
        }
        return actor
    }

    var today: LocalDate { LocalDate.beijing(req.now) }

    // MARK: Plans

    func plans() async throws -> [AssessmentPlanRow] {
        let actor = try actor()
        return try await store.list(drafts: AssessmentAccess.seesDrafts(actor))
    }

    func plan(_ id: String) async throws -> (plan: AssessmentPlanRow, versions: [AssessmentPlanVersion]) {
        let actor = try actor()
        guard let uuid = UUID(uuidString: id) else { throw AssessmentStore.notFound }
        let row = try await store.find(uuid, drafts: AssessmentAccess.seesDrafts(actor))
        return (row, try await store.versions(row.id))
    }

    func create(year: Int?, name: String, method: AssessmentMethod) async throws -> AssessmentPlanRow {
        let actor = try actor()
        guard AssessmentAccess.mayManage(actor) else { throw Self.forbidden }
        let terms: AssessmentPlanTerms
        switch AssessmentRules.validate(year: year, name: name, method: method, today: today) {
        case .failure(let p): throw p
        case .success(let t): terms = t
        }
        let (now, who) = (req.now, actor)
        return try await req.db.writeTransaction { tx in
            let made = try await AssessmentStore(db: tx).create(terms, by: who.user.id, at: now)
            try await AuditStore(db: tx).append(action: AuditAction.assessmentPlanChanged.rawValue, subject: "assessment-plan:\(made.id.uuidString.lowercased())",
                                                detail: "created \(terms.name) for \(terms.year) v1; \(terms.method.indicators.flatMap(\.leaves).count) indicators",
                                                actorID: who.user.id, actorName: who.user.displayName, at: now)
            return made
        }
    }

    /// A new version of the name and method; once the plan is published, only with a reason. The year stays.
    func change(_ id: String, name: String?, method: AssessmentMethod?, reason: String) async throws -> AssessmentPlanRow {
        let actor = try actor()
        guard AssessmentAccess.mayManage(actor) else { throw Self.forbidden }
        let current = try await plan(id)
        guard let last = current.versions.last else { throw AssessmentStore.notFound }
        var problems: [FieldProblem] = []
        var terms: AssessmentPlanTerms?
        switch AssessmentRules.validate(year: current.plan.year, name: name ?? last.name, method: method ?? last.method, today: today) {
        case .failure(let p): problems += p.problems
        case .success(let t): terms = t
        }
        if let p = AssessmentRules.validateReason(reason, published: current.plan.publishedAt != nil) { problems.append(p) }
        guard problems.isEmpty, let terms else { throw FieldProblems(problems) }
        let (now, who) = (req.now, actor)
        let why = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        return try await req.db.writeTransaction { tx in
            let changed = try await AssessmentStore(db: tx).change(current.plan, to: terms, reason: why.isEmpty ? nil : why, by: who.user.id, at: now)
            try await AuditStore(db: tx).append(action: AuditAction.assessmentPlanChanged.rawValue, subject: "assessment-plan:\(changed.id.uuidString.lowercased())",
                                                detail: "v\(changed.version)\(why.isEmpty ? "" : ": \(why)")", actorID: who.user.id, actorName: who.user.displayName, at: now)
            return changed
        }
    }

    /// Publishes the method before its year begins (users of such systems ask for the method before the scoring).
    func publish(_ id: String) async throws -> AssessmentPlanRow {
        let actor = try actor()
        guard AssessmentAccess.mayManage(actor) else { throw Self.forbidden }
        let current = try await plan(id)
        guard current.plan.publishedAt == nil else { throw DomainError.conflict(zh: "方案已公布", en: "the plan is already published") }
        guard AssessmentRules.mayPublish(year: current.plan.year, today: today) else {
            throw DomainError.conflict(zh: "考核年度已开始：方案须在年度开始前公布", en: "the year has begun: a plan is published before its year")
        }
        let (now, who) = (req.now, actor)
        return try await req.db.writeTransaction { tx in
            let published = try await AssessmentStore(db: tx).publish(current.plan, by: who.user.id, at: now)
            try await AuditStore(db: tx).append(action: AuditAction.assessmentPlanPublished.rawValue, subject: "assessment-plan:\(published.id.uuidString.lowercased())",
                                                detail: "published \(published.name) v\(published.version) for \(published.year)", actorID: who.user.id,
                                                actorName: who.user.displayName, at: now)
            return published
        }
    }

    // MARK: Scores

    struct VillageScore {
        var village: Area
        var steward: UUID?
        var card: ScoreCard
        var rank: Int?
        var cases: Int
        /// The total of the period before (a quarter's or a month's, within the year), when both were scored.
        var previous: Double?

        var change: Double? { previous.flatMap { p in card.grade == nil ? nil : ((card.total - p) * 100).rounded() / 100 } }
    }

    /// A street's villages taken together: their mean total and its grade.
    struct StreetScore {
        var street: Area
        var villages: Int
        var total: Double
        var grade: String?
    }

    static func streets(_ scores: [VillageScore], method: AssessmentMethod, reference: CaseReference) -> [StreetScore] {
        let graded = scores.filter { $0.card.grade != nil }
        let byStreet = Dictionary(grouping: graded) { s in s.village.path.lazy.compactMap { reference.areas[$0] }.first { $0.kind == .street }?.id }
        return byStreet.compactMap { id, list -> StreetScore? in
            guard let id, let street = reference.areas[id], !list.isEmpty else { return nil }
            let mean = (list.reduce(0) { $0 + $1.card.total } / Double(list.count) * 100).rounded() / 100
            return StreetScore(street: street, villages: list.count, total: mean, grade: method.grade(of: mean))
        }.sorted { ($0.total, $1.street.code) > ($1.total, $0.street.code) }
    }

    /// Every village's score in the caller's scope under the plan's version in force, over `from` through `through`
    /// (default: the plan's year up to today), ranked by total.
    /// `version` scores under an earlier version of the method (what a published result was computed with).
    /// `period` (a quarter or a month of the plan's year, or the year) stands for `from` and `through`, and brings each
    /// village's total of the period before.
    /// `department`: count only the cases of that department's matters and its own spot checks (a department officer's
    /// scores are always its own department's, `AssessmentAccess.department`).
    func scores(_ id: String, from givenFrom: LocalDate?, through givenThrough: LocalDate?, version number: Int? = nil,
                period: AssessmentPeriod? = nil, department asked: UUID? = nil)
        async throws -> (plan: AssessmentPlanRow, version: AssessmentPlanVersion, from: LocalDate, through: LocalDate, department: Org?, scores: [VillageScore]) {
        let actor = try actor()
        let found = try await plan(id)
        guard let version = number.map({ n in found.versions.first { $0.number == n } }) ?? found.versions.last else { throw AssessmentStore.notFound }
        let year = found.plan.year
        if let period {
            guard givenFrom == nil, givenThrough == nil else {
                throw DomainError.invalid("period", zh: "period 与 from/through 只能选其一", en: "give period or from/through, not both")
            }
            guard period.year == year else {
                throw DomainError.refused("period", zh: "考核周期须在方案年度 \(year) 之内", en: "the period lies within the plan's year \(year)")
            }
            guard period.first <= today else {
                throw DomainError.refused("period", zh: "该考核周期尚未开始", en: "the period has not begun")
            }
        }
        let from = givenFrom ?? period?.first
        let through = givenThrough ?? period.map { min($0.last, today) }
        let first = from ?? LocalDate(year: year, month: 1, day: 1)
        if from == nil, through == nil, today.year < year {
            throw DomainError.refused("from", zh: "考核年度尚未开始，还没有得分", en: "the plan's year has not begun: there are no scores yet")
        }
        let last = through ?? min(LocalDate(year: year, month: 12, day: 31), today)
        guard last >= first, first.year == year, last.year == year else {
            throw DomainError.refused("through", zh: "统计期须在考核年度之内且不早于开始日", en: "the period lies within the plan's year, its end not before its start")
        }
        let reference = try await req.caseReference()
        var department: Org?
        if let id = AssessmentAccess.department(for: actor, asked: asked) {
            guard let org = reference.orgs[id], org.kind == .department, asked.map({ AssessmentAccess.mayAsk(actor, department: $0) }) ?? true else {
                throw DomainError.refused("department", zh: "没有这个职能部门", en: "there is no such department")
            }
            department = org
        }
        let served = try await TeamStore(db: req.db).stewardAreas(at: req.now)
        func steward(of v: Area) -> UUID? { ([v.id] + v.path.reversed()).lazy.compactMap { served[$0] }.first }
        var villages = reference.areas.values.filter { $0.kind == .village }
        switch AssessmentAccess.scope(for: actor) {
        case .all: break
        case .nothing: villages = []
        case .department: break
        case .areas(let roots): villages = villages.filter { v in roots.contains(v.id) || v.path.contains { roots.contains($0) } }
        case .steward(let org): villages = villages.filter { steward(of: $0) == org }
        }
        var scored = try await compute(version.method, villages: villages, from: first, through: last, steward: steward, department: department?.id)
        if let before = period?.previous {
            let earlier = Dictionary(try await compute(version.method, villages: villages, from: before.first, through: before.last, department: department?.id)
                .filter { $0.card.grade != nil }.map { ($0.village.id, $0.card.total) }, uniquingKeysWith: { a, _ in a })
            for i in scored.indices { scored[i].previous = earlier[scored[i].village.id] }
        }
        scored.sort { ($0.card.grade == nil ? 1 : 0, -$0.card.total, $0.village.code) < ($1.card.grade == nil ? 1 : 0, -$1.card.total, $1.village.code) }
        // Equal totals share a rank; a village with nothing to score has none.
        var rank = 0, previous: Double?
        for i in scored.indices where scored[i].card.grade != nil {
            if scored[i].card.total != previous { rank = i + 1; previous = scored[i].card.total }
            scored[i].rank = rank
        }
        return (found.plan, version, first, last, department, scored)
    }

    /// Each village's score under a method over `from` through `through` (as of now while the period runs), unranked:
    /// the measures of its cases, work plans, patrols and spot checks.
    /// With `department`: its matters' cases and its own spot checks; the steward's work plans and patrols are no
    /// department's matter and are left out (their weight goes to their siblings).
    func compute(_ method: AssessmentMethod, villages: [Area], from first: LocalDate, through last: LocalDate,
                 steward: (Area) -> UUID? = { _ in nil }, department: UUID? = nil) async throws -> [VillageScore] {
        let start = first.beijingMidnight, until = last.adding(days: 1).beijingMidnight, end = min(until, req.now)
        let tallies = try await store.casesSummaries(villages: villages.map(\.id), from: start, until: until, end: end, department: department)
        let operations = department == nil ? try await operationsMeasures(villages: villages, from: first, through: last) : [:]
        let spotChecks = Dictionary(grouping: try await SpotCheckStore(db: req.db).assessed(villages: villages.map(\.id), from: start, until: until, inspectedBy: department),
                                    by: \.village)
        // Households as registered now: the register keeps no history of a house's use.
        let households = method.indicators.contains { $0.leaves.contains { $0.measure == .complaintsPerThousandHouseholds } }
            ? try await store.households(villages: villages) : [:]
        return villages.map { v in
            let tally = tallies[v.id] ?? CasesSummary()
            let measured = CaseMeasures.of(tally, operations: operations[v.id], households: households[v.id]).merging(SpotCheckMeasures.of(spotChecks[v.id] ?? [], end: end)) { a, _ in a }
            return VillageScore(village: v, steward: steward(v), card: AssessmentScoring.score(method, measured), rank: nil, cases: tally.cases, previous: nil)
        }
    }

    /// A contract's villages' score for a billing period under the published plan of its year in force (for the
    /// payment coefficient): the villages with something to score, nil when there is no published plan or none
    /// scored. No caller scope: whoever may bill the contract has been checked.
    func periodScore(villages codes: [String], from: LocalDate, through: LocalDate) async throws -> AssessedPeriodScore? {
        guard let plan = try await store.list(drafts: false).first(where: { $0.year == from.year && $0.publishedAt != nil }),
              let version = try await store.versions(plan.id).last else { return nil }
        let reference = try await req.caseReference()
        let villages = codes.compactMap { reference.areasByCode[$0] }.filter { $0.kind == .village }
        let scored = try await compute(version.method, villages: villages, from: from, through: through).filter { $0.card.grade != nil }
        guard !scored.isEmpty else { return nil }
        return AssessedPeriodScore(plan: "\(version.name) v\(version.number)", from: from, through: through,
                                   villages: scored.map { .init(code: $0.village.code, name: $0.village.name, total: $0.card.total) })
    }

    /// Work-plan and patrol figures per village (tasks of plans in the village or under it).
    func operationsMeasures(villages: [Area], from: LocalDate, through: LocalDate) async throws -> [UUID: OperationsMeasures] {
        let ids = Set(villages.map(\.id))
        let reference = try await req.caseReference()
        func village(of area: UUID) -> UUID? {
            guard let a = reference.areas[area] else { return nil }
            return ([a.id] + a.path.reversed()).first { ids.contains($0) }
        }
        var out: [UUID: OperationsMeasures] = [:]
        for t in try await WorkPlanStore(db: req.db).completion(.all, from: from, through: through) where t.state != WorkTaskState.superseded.rawValue {
            guard let v = village(of: t.areaId) else { continue }
            var m = out[v] ?? OperationsMeasures(tasksDue: 0, tasksDone: 0, checkpointsDue: 0, checkpointsVisited: 0)
            m.tasksDue += t.count
            if t.state == WorkTaskState.done.rawValue { m.tasksDone += t.count }
            out[v] = m
        }
        for p in try await OperationsService(req: req).patrolFigures(.all, from: from, through: through) {
            guard let v = village(of: p.area) else { continue }
            var m = out[v] ?? OperationsMeasures(tasksDue: 0, tasksDone: 0, checkpointsDue: 0, checkpointsVisited: 0)
            m.checkpointsDue += p.checkpointsDue
            m.checkpointsVisited += p.checkpointsVisited
            out[v] = m
        }
        return out
    }
}
