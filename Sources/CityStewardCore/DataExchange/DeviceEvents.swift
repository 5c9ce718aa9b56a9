import Foundation

/// Devices that send events: access gates (门禁) and cameras with on-device AI.
public enum DeviceKind: String, Sendable, Codable, CaseIterable {
    case gate, camera

    public var label: LocalizedText {
        switch self {
        case .gate: LocalizedText(zh: "门禁", en: "Access gate")
        case .camera: LocalizedText(zh: "摄像机", en: "Camera")
        }
    }
}

public enum GateDirection: String, Sendable, Codable, CaseIterable { case `in`, out }
public enum GateMethod: String, Sendable, Codable, CaseIterable { case card, face, qr, password }

/// One event as received, checked: a gate pass or a camera's AI event.
public struct DeviceEvent: Sendable, Equatable {
    public enum Body: Sendable, Equatable {
        case gate(direction: GateDirection, method: GateMethod, person: String?, plate: String?)
        case ai(type: String, confidence: Double, image: String?)
    }

    /// The sender's own id of the event: a retry with the same id is the same event.
    public var clientID: String
    public var device: String
    public var at: Date
    public var body: Body
}

/// A checked event as it is kept: what names a person sealed by the caller (who holds the key), a plate's masked
/// form beside its sealed one, an AI event with the class its type stands for.
public struct SealedDeviceEvent: Sendable, Equatable {
    public enum Body: Sendable, Equatable {
        case gate(direction: GateDirection, method: GateMethod, personSealed: String?, plateSealed: String?, plateMasked: String?)
        case ai(type: String, category: String, confidence: Double, image: String?)
    }

    public var id: UUID
    public var clientID: String
    public var at: Date
    public var receivedAt: Date
    public var body: Body

    public init(id: UUID = .random(), clientID: String, at: Date, receivedAt: Date, body: Body) {
        self.id = id
        self.clientID = clientID
        self.at = at
        self.receivedAt = receivedAt
        self.body = body
    }
}

/// Parses a batch (a JSON array, or NDJSON: one object a line) into events and per-line problems; a bad line never
/// stops the good ones.
public enum DeviceEventBatch {
    public static let maxEvents = 10_000

    public struct LineProblem: Error, Sendable, Equatable {
        public var index: Int
        public var reason: LocalizedText
    }

    public enum Refused: Error, Sendable, Equatable {
        case notJSON, tooMany(Int), empty
    }

    /// The objects of the batch, in order.
    public static func objects(_ data: Data, ndjson: Bool) throws(Refused) -> [Result<[String: Any], LineProblem>] {
        var out: [Result<[String: Any], LineProblem>] = []
        if ndjson {
            var index = 0
            for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                let trimmed = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
                if trimmed.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
                if let object = FlatJSON.object(trimmed) ?? (try? JSONSerialization.jsonObject(with: Data(trimmed))) as? [String: Any] {
                    out.append(.success(object))
                } else {
                    out.append(.failure(LineProblem(index: index, reason: LocalizedText(zh: "该行不是 JSON 对象", en: "the line is not a JSON object"))))
                }
                index += 1
                if index > maxEvents { throw .tooMany(index) }
            }
        } else {
            guard let array = (try? JSONSerialization.jsonObject(with: data)) as? [Any] else { throw .notJSON }
            if array.count > maxEvents { throw .tooMany(array.count) }
            for (i, item) in array.enumerated() {
                if let object = item as? [String: Any] { out.append(.success(object)) } else {
                    out.append(.failure(LineProblem(index: i, reason: LocalizedText(zh: "不是 JSON 对象", en: "not a JSON object"))))
                }
            }
        }
        if out.isEmpty { throw .empty }
        return out
    }

    /// Checks one object; `now` bounds times from the future (five minutes of clock skew are allowed).
    public static func event(_ o: [String: Any], now: Date) -> Result<DeviceEvent, FieldProblems> {
        var problems: [FieldProblem] = []
        func text(_ key: String, max: Int = 64) -> String? {
            guard let v = o[key] else { return nil }
            // utf8.count ≥ count, so the cheap test settles nearly every value.
            guard let s = v as? String, !s.isEmpty, s.utf8.count <= max || s.count <= max else {
                problems.append(FieldProblem(field: key, reason: LocalizedText(zh: "\(key) 应为 1~\(max) 个字符的文本", en: "\(key) must be text of 1–\(max) characters")))
                return nil
            }
            return s
        }
        let clientID = text("clientId")
        let device = text("device")
        if o["clientId"] == nil { problems.append(FieldProblem(field: "clientId", reason: LocalizedText(zh: "缺少 clientId", en: "clientId is required"))) }
        if o["device"] == nil { problems.append(FieldProblem(field: "device", reason: LocalizedText(zh: "缺少 device", en: "device is required"))) }
        var at: Date?
        if let s = o["at"] as? String, let d = Open311Projection.parseDatetime(s) ?? Self.plain.date(from: s) {
            if d > now.addingTimeInterval(300) {
                problems.append(FieldProblem(field: "at", reason: LocalizedText(zh: "时间在未来", en: "the time is in the future")))
            } else { at = d }
        } else {
            problems.append(FieldProblem(field: "at", reason: LocalizedText(zh: "at 应为带时区的 ISO 8601 时间", en: "at must be an ISO 8601 time with a zone")))
        }
        var body: DeviceEvent.Body?
        switch o["type"] as? String {
        case "gate":
            let direction = (o["direction"] as? String).flatMap(GateDirection.init(rawValue:))
            let method = (o["method"] as? String).flatMap(GateMethod.init(rawValue:))
            if direction == nil { problems.append(FieldProblem(field: "direction", reason: LocalizedText(zh: "direction 应为 in 或 out", en: "direction is in or out"))) }
            if method == nil { problems.append(FieldProblem(field: "method", reason: LocalizedText(zh: "method 应为 card/face/qr/password", en: "method is card, face, qr or password"))) }
            let person = text("person"), plate = text("plate", max: 10)
            if let direction, let method { body = .gate(direction: direction, method: method, person: person, plate: plate) }
        case "ai":
            let code = text("event", max: 32)
            if o["event"] == nil { problems.append(FieldProblem(field: "event", reason: LocalizedText(zh: "缺少事件类型 event", en: "event (the type code) is required"))) }
            let confidence = (o["confidence"] as? NSNumber)?.doubleValue
            if confidence.map({ !(0...1).contains($0) }) ?? true {
                problems.append(FieldProblem(field: "confidence", reason: LocalizedText(zh: "confidence 应为 0~1 的数", en: "confidence is a number from 0 to 1")))
            }
            let image = text("image", max: 256)
            if let code, let confidence, (0...1).contains(confidence) { body = .ai(type: code, confidence: confidence, image: image) }
        default:
            problems.append(FieldProblem(field: "type", reason: LocalizedText(zh: "type 应为 gate 或 ai", en: "type is gate or ai")))
        }
        guard problems.isEmpty, let clientID, let device, let at, let body else { return .failure(FieldProblems(problems: problems)) }
        return .success(DeviceEvent(clientID: clientID, device: device, at: at, body: body))
    }

    // Formatters are costly to make and safe to share for parsing.
    nonisolated(unsafe) static let plain = ISO8601DateFormatter()
    nonisolated(unsafe) static let fractional: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }()
}
