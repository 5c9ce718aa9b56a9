import Foundation

/// One checkpoint of a patrol route (巡更点): where it is, how close a scan must be, its place in the round, and when in
/// the round's window it is due (minutes after the window opens; nil: any time in the window).
public struct Checkpoint: Sendable, Equatable, Codable {
    public var id: UUID
    /// What its QR code carries: `/k/<code>`.
    public var code: String
    public var name: String
    public var position: GeoPoint
    public var radiusMetres: Int
    public var order: Int
    public var dueWithinMinutes: Int?
    public var photoRequired: Bool

    public init(id: UUID, code: String, name: String, position: GeoPoint, radiusMetres: Int, order: Int, dueWithinMinutes: Int?, photoRequired: Bool) {
        (self.id, self.code, self.name, self.position, self.radiusMetres, self.order) = (id, code, name, position, radiusMetres, order)
        (self.dueWithinMinutes, self.photoRequired) = (dueWithinMinutes, photoRequired)
    }
}

/// A checkpoint as typed: a line of the route form or an element of the API's array.
public struct CheckpointInput: Sendable, Equatable {
    public var name: String
    public var lat: String
    public var long: String
    public var radius: String
    public var dueWithinMinutes: String
    public var photoRequired: Bool

    public init(name: String, lat: String, long: String, radius: String = "", dueWithinMinutes: String = "", photoRequired: Bool = false) {
        (self.name, self.lat, self.long, self.radius, self.dueWithinMinutes, self.photoRequired) = (name, lat, long, radius, dueWithinMinutes, photoRequired)
    }
}

/// A route's terms as checked: its name, village and checkpoints in order.
public struct PatrolRouteTerms: Sendable, Equatable {
    public var name: String
    public var areaID: UUID
    public var checkpoints: [Checkpoint]

    public init(name: String, areaID: UUID, checkpoints: [Checkpoint]) {
        (self.name, self.areaID, self.checkpoints) = (name, areaID, checkpoints)
    }
}

public enum PatrolRouteRules {
    public static let maxCheckpoints = 200
    public static let defaultRadius = 30

    /// Every problem of a route at once; a checkpoint's problem names it `checkpoints[i].field`. `within` is the
    /// village's box (a checkpoint outside it is a typo), `codes` makes each checkpoint's QR code.
    public static func validate(name: String, area: Area?, checkpoints: [CheckpointInput], within box: GeoBox?,
                                codes: () -> String) -> Result<PatrolRouteTerms, FieldProblems> {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        let routeName = name.trimmingCharacters(in: .whitespaces)
        if routeName.isEmpty || routeName.count > 60 { problem("name", "请填写路线名称（不超过 60 个字）", "give the route a name (at most 60 characters)") }
        if area == nil { problem("area", "请选择本单位负责的村（社区）", "choose a village your company runs") }
        if checkpoints.isEmpty || checkpoints.count > maxCheckpoints {
            problem("checkpoints", "路线须有 1~\(maxCheckpoints) 个巡更点", "a route has 1 to \(maxCheckpoints) checkpoints")
        }
        var out: [Checkpoint] = []
        for (i, c) in checkpoints.prefix(maxCheckpoints).enumerated() {
            let at = "checkpoints[\(i)]"
            let n = c.name.trimmingCharacters(in: .whitespaces)
            if n.isEmpty || n.count > 40 { problem("\(at).name", "第 \(i + 1) 个点：请填写名称（不超过 40 个字）", "checkpoint \(i + 1): give a name (at most 40 characters)") }
            let lat = Double(c.lat.trimmingCharacters(in: .whitespaces)), long = Double(c.long.trimmingCharacters(in: .whitespaces))
            var point: GeoPoint?
            if let lat, let long, GeoPoint(lat: lat, long: long).isValidWGS84 {
                point = GeoPoint(lat: lat, long: long)
                if let box, !box.contains(point!) { problem("\(at).position", "第 \(i + 1) 个点不在本村范围内", "checkpoint \(i + 1) is outside the village"); point = nil }
            } else { problem("\(at).position", "第 \(i + 1) 个点：纬度、经度应为 WGS84 数值", "checkpoint \(i + 1): latitude and longitude are WGS84 numbers") }
            var radius = defaultRadius
            let r = c.radius.trimmingCharacters(in: .whitespaces)
            if !r.isEmpty {
                if let v = Int(r), (5...500).contains(v) { radius = v } else { problem("\(at).radius", "第 \(i + 1) 个点：半径为 5~500 米", "checkpoint \(i + 1): the radius is 5 to 500 metres") }
            }
            var due: Int?
            let d = c.dueWithinMinutes.trimmingCharacters(in: .whitespaces)
            if !d.isEmpty {
                if let v = Int(d), (1...1440).contains(v) { due = v } else { problem("\(at).dueWithinMinutes", "第 \(i + 1) 个点：时限为 1~1440 分钟", "checkpoint \(i + 1): the time limit is 1 to 1440 minutes") }
            }
            if let point { out.append(Checkpoint(id: UUID(), code: codes(), name: n, position: point, radiusMetres: radius, order: i + 1, dueWithinMinutes: due, photoRequired: c.photoRequired)) }
        }
        guard problems.isEmpty, let area else { return .failure(FieldProblems(problems)) }
        return .success(PatrolRouteTerms(name: routeName, areaID: area.id, checkpoints: out))
    }
}

/// Why a check-in looks wrong. Flagged, never refused (users of such systems ask for this: a refused scan is a lost
/// record, a flagged one is evidence to look at).
public enum CheckinFlag: String, Sendable, Codable, CaseIterable, Comparable {
    /// Farther from the checkpoint than its radius, even allowing for the position's accuracy.
    case outsideRadius
    /// The phone sent no position (a QR scan without location).
    case noPosition
    /// Faster than a person on foot or a bicycle could have moved from the previous check-in of the round.
    case impossibleSpeed
    /// Scanned from the same spot as the previous check-in although the checkpoints are apart (printed codes taken
    /// to one place).
    case sameSpot
    /// The phone's clock and the server's differ by more than five minutes.
    case clockSkew
    /// Outside the round's window, or after the checkpoint's own time limit.
    case outsideWindow
    /// Not the next checkpoint in the route's order.
    case outOfOrder
    /// The checkpoint asks for a photo and none came.
    case noPhoto

    public var label: LocalizedText {
        switch self {
        case .outsideRadius: LocalizedText(zh: "超出点位范围", en: "Outside the radius")
        case .noPosition: LocalizedText(zh: "无定位", en: "No position")
        case .impossibleSpeed: LocalizedText(zh: "移动速度异常", en: "Impossible speed")
        case .sameSpot: LocalizedText(zh: "原地连续扫码", en: "Scanned from one spot")
        case .clockSkew: LocalizedText(zh: "手机时间异常", en: "Device clock off")
        case .outsideWindow: LocalizedText(zh: "不在巡更时段", en: "Outside the window")
        case .outOfOrder: LocalizedText(zh: "未按顺序", en: "Out of order")
        case .noPhoto: LocalizedText(zh: "须拍照未拍", en: "Photo missing")
        }
    }

    public static func < (a: CheckinFlag, b: CheckinFlag) -> Bool { a.rawValue < b.rawValue }
}

/// A scan as it arrives from the phone.
public struct CheckinReport: Sendable, Equatable {
    public var position: GeoPoint?
    /// Metres, as the phone reports (68 % confidence).
    public var accuracy: Double?
    public var deviceTime: Date?
    /// A photo came with the scan.
    public var hasPhoto: Bool

    public init(position: GeoPoint?, accuracy: Double?, deviceTime: Date?, hasPhoto: Bool = false) {
        (self.position, self.accuracy, self.deviceTime, self.hasPhoto) = (position, accuracy, deviceTime, hasPhoto)
    }
}

/// A check-in as recorded, for judging the next one.
public struct RecordedCheckin: Sendable, Equatable {
    public var checkpointID: UUID
    public var position: GeoPoint?
    public var serverTime: Date

    public init(checkpointID: UUID, position: GeoPoint?, serverTime: Date) {
        (self.checkpointID, self.position, self.serverTime) = (checkpointID, position, serverTime)
    }
}

public enum CheckinAssessment {
    /// Faster than this between two check-ins is not a patrol on foot or by bicycle (36 km/h).
    public static let maxSpeed = 10.0
    public static let maxClockSkew: TimeInterval = 300
    /// Two scans this close are "one spot" when their checkpoints are at least `apart` metres apart.
    public static let sameSpot = 15.0
    public static let apart = 60.0
    /// An accuracy worse than this is not allowed to excuse a position outside the radius.
    public static let maxAccuracyAllowance = 100.0

    /// The flags of a scan at `checkpoint` in the round whose window is `window`, after the round's earlier check-ins
    /// (`earlier`, in the order made). `route` is the route's checkpoints in order.
    public static func flags(_ report: CheckinReport, at checkpoint: Checkpoint, route: [Checkpoint], earlier: [RecordedCheckin],
                             window: (start: Date, end: Date)?, now: Date) -> Set<CheckinFlag> {
        flags(report, at: checkpoint, route: route, last: earlier.last, visited: Set(earlier.map(\.checkpointID)), window: window, now: now)
    }

    /// The same from what a round's state comes to: its last check-in and the checkpoints it visited (all a judgement
    /// needs, so a scan reads two small things whatever the round holds).
    public static func flags(_ report: CheckinReport, at checkpoint: Checkpoint, route: [Checkpoint], last: RecordedCheckin?, visited done: Set<UUID>,
                             window: (start: Date, end: Date)?, now: Date) -> Set<CheckinFlag> {
        var flags: Set<CheckinFlag> = []
        if checkpoint.photoRequired && !report.hasPhoto { flags.insert(.noPhoto) }
        if let p = report.position {
            let allowance = min(max(report.accuracy ?? 0, 0), maxAccuracyAllowance)
            if p.distance(to: checkpoint.position) - allowance > Double(checkpoint.radiusMetres) { flags.insert(.outsideRadius) }
        } else {
            flags.insert(.noPosition)
        }
        if let device = report.deviceTime, abs(device.timeIntervalSince(now)) > maxClockSkew { flags.insert(.clockSkew) }
        if let w = window {
            let dueBy = checkpoint.dueWithinMinutes.map { w.start.addingTimeInterval(Double($0 * 60)) } ?? w.end
            if now < w.start || now > min(dueBy, w.end) { flags.insert(.outsideWindow) }
        }
        if let last {
            if let p = report.position, let q = last.position {
                let metres = p.distance(to: q)
                let seconds = max(now.timeIntervalSince(last.serverTime), 1)
                if metres / seconds > maxSpeed { flags.insert(.impossibleSpeed) }
                if let previous = route.first(where: { $0.id == last.checkpointID }), previous.id != checkpoint.id,
                   previous.position.distance(to: checkpoint.position) >= apart, metres < sameSpot {
                    flags.insert(.sameSpot)
                }
            }
        }
        // In order: the next checkpoint not yet scanned in this round.
        if let next = route.sorted(by: { $0.order < $1.order }).first(where: { !done.contains($0.id) }), next.id != checkpoint.id, !done.contains(checkpoint.id) {
            flags.insert(.outOfOrder)
        }
        return flags
    }
}

/// What judging the next scan of a round needs — its last check-in, the checkpoints it visited, how many of its
/// check-ins were flagged — and what a scan leaves of it.
public struct RoundState: Sendable, Equatable {
    public var last: RecordedCheckin?
    public var visited: Set<UUID>
    public var flagged: Int

    public init(last: RecordedCheckin? = nil, visited: Set<UUID> = [], flagged: Int = 0) {
        (self.last, self.visited, self.flagged) = (last, visited, flagged)
    }
}

/// What a scan comes to: its flags, the round's task when the scan moved it, and the round's state after it.
public struct ScanDecision: Sendable, Equatable {
    public var flags: Set<CheckinFlag>
    /// The round's task as the scan leaves it, when the scan started or completed it; nil when it did not move it.
    public var task: WorkTask?
    public var state: RoundState
}

extension CheckinAssessment {
    /// A scan at `checkpoint` by `worker`, counted in `round` (the round's task and window) when it has one. The round
    /// starts with its first scan and is done with its last checkpoint; flagged scans count (they are evidence for the
    /// dispatcher to judge, not refusals).
    public static func decide(_ report: CheckinReport, at checkpoint: Checkpoint, route: [Checkpoint], round: (task: WorkTask, window: (start: Date, end: Date))?,
                              state: RoundState, worker: TaskWorker, now: Date) -> ScanDecision {
        let flags = flags(report, at: checkpoint, route: route, last: state.last, visited: state.visited, window: round?.window, now: now)
        guard let round else { return ScanDecision(flags: flags, task: nil, state: state) }
        let after = RoundState(last: RecordedCheckin(checkpointID: checkpoint.id, position: report.position, serverTime: now),
                               visited: state.visited.union([checkpoint.id]), flagged: state.flagged + (flags.isEmpty ? 0 : 1))
        var moved: WorkTask?
        if round.task.state.isOpen {
            let complete = Set(route.map(\.id)).isSubset(of: after.visited)
            let action: WorkTaskAction? = complete ? .complete(note: nil) : (round.task.state == .scheduled ? .start : nil)
            if let action, case .success(let t) = WorkTaskWorkflow.apply(round.task, action, by: worker, now: now), t != round.task { moved = t }
        }
        return ScanDecision(flags: flags, task: moved, state: after)
    }
}

/// How far a round got: checkpoints visited of all, the flagged check-ins, and whether it is complete.
public struct RoundProgress: Sendable, Equatable {
    public var visited: Int
    public var total: Int
    public var flagged: Int
    public var missing: [String]

    public var complete: Bool { total > 0 && visited == total }
    /// Visited ÷ total, per cent to one decimal.
    public var percent: Double { total == 0 ? 0 : (Double(visited) * 1000 / Double(total)).rounded() / 10 }

    public init(route: [Checkpoint], checkins: [(checkpointID: UUID, flags: Set<CheckinFlag>)]) {
        self.init(route: route, visited: Set(checkins.map(\.checkpointID)), flagged: checkins.filter { !$0.flags.isEmpty }.count)
    }

    public init(route: [Checkpoint], visited seen: Set<UUID>, flagged: Int) {
        total = route.count
        visited = route.filter { seen.contains($0.id) }.count
        self.flagged = flagged
        missing = route.sorted { $0.order < $1.order }.filter { !seen.contains($0.id) }.map(\.name)
    }
}
