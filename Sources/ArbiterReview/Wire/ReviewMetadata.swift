/// The part of a review's `metadata` (Kubernetes `ObjectMeta`) that Arbiter keeps.
///
/// Reviews are not stored objects, so kube-apiserver sends `{"creationTimestamp": null}` at most.
/// `name` and `namespace` are kept (a LocalSubjectAccessReview is bound to its namespace); every
/// other field is validated and dropped.
public struct ReviewMetadata: Sendable {
    /// `metadata.name`; empty when absent.
    public var name: String
    /// `metadata.namespace`; empty when absent.
    public var namespace: String
    /// The other `ObjectMeta` fields the body set to something other than their zero value
    /// (`null`, `""`, `0`, `{}`, `[]`), in ``otherFields`` order, leaving out those
    /// kube-apiserver's create clears before it validates (`creationTimestamp`,
    /// `deletionTimestamp`, `deletionGracePeriodSeconds`, `uid`, `selfLink`, `managedFields`)
    /// and keys that are not `ObjectMeta` fields. kube-apiserver's REST endpoints require a
    /// review's metadata to be empty once those are cleared.
    public var setFields: [String] { Self.names(setFieldBits) }
    /// `ObjectMeta` fields whose value has the wrong type for Go's decoder (`labels: []`, a
    /// `creationTimestamp` that is not RFC 3339, `generation: 1.5`, a protobuf field with another
    /// wire type): kube-apiserver refuses such a body (400) before looking at it. The codec
    /// itself reads past them, as it reads past every field it does not use.
    public var invalidFields: [String] { Self.names(invalidFieldBits) }
    /// Bit `i`: ``otherFields``[i] (bits, not arrays: nothing to allocate or release per review).
    private var setFieldBits: UInt16 = 0
    private var invalidFieldBits: UInt16 = 0

    private static func names(_ bits: UInt16) -> [String] {
        otherFields.indices.filter { bits & (1 << $0) != 0 }.map { otherFields[$0].name.description }
    }

    public init(name: String = "", namespace: String = "") {
        self.name = name
        self.namespace = namespace
    }

    /// The fields kube-apiserver's validation finds set (`ValidateSubjectAccessReview`: the
    /// metadata must equal an empty `ObjectMeta` once the create has cleared the system fields,
    /// and, on a cluster-scoped review, the namespace). Empty when the metadata is empty.
    public var fieldsSet: [String] { (name.isEmpty ? [] : ["name"]) + setFields }

    /// How Go holds an `ObjectMeta` field, for the type check and the zero value.
    enum Shape {
        case string, integer, timestamp, stringMap, list, stringList, ownerReferences
    }

    /// `ObjectMeta`'s other fields: JSON name, protobuf field number, shape, and whether
    /// kube-apiserver's create clears it before validation (`WipeObjectMetaSystemFields`).
    static let otherFields: [(name: StaticString, number: UInt64, shape: Shape, wiped: Bool)] = [
        ("generateName", 2, .string, false), ("selfLink", 4, .string, true), ("uid", 5, .string, true),
        ("resourceVersion", 6, .string, false), ("generation", 7, .integer, false),
        ("creationTimestamp", 8, .timestamp, true), ("deletionTimestamp", 9, .timestamp, true),
        ("deletionGracePeriodSeconds", 10, .integer, true), ("labels", 11, .stringMap, false),
        ("annotations", 12, .stringMap, false), ("ownerReferences", 13, .ownerReferences, false),
        ("finalizers", 14, .stringList, false),
        // Cleared before validation (`ManagedFields = nil`), but decoded first: its type counts.
        ("managedFields", 17, .list, true),
    ]

    /// The index in ``otherFields`` of a JSON key, by length first (every review carries
    /// `creationTimestamp`: one comparison, not a walk through the table).
    static func otherFieldIndex(_ key: JSONKey) -> Int? {
        let candidates: (Int, Int)
        switch key.count {
        case 3: candidates = (2, -1)
        case 6: candidates = (8, -1)
        case 8: candidates = (1, -1)
        case 10: candidates = (4, 11)
        case 11: candidates = (9, -1)
        case 12: candidates = (0, -1)
        case 13: candidates = (12, -1)
        case 15: candidates = (3, 10)
        case 17: candidates = (5, 6)
        case 26: candidates = (7, -1)
        default: return nil
        }
        if key.matches(otherFields[candidates.0].name) { return candidates.0 }
        if candidates.1 >= 0 && key.matches(otherFields[candidates.1].name) { return candidates.1 }
        return nil
    }

    /// Records what a field's value is: its zero value (nothing), set, or of the wrong type.
    mutating func record(_ index: Int, isZero: Bool, isValid: Bool) {
        if !isValid {
            invalidFieldBits |= 1 << index
        } else if !isZero && !Self.otherFields[index].wiped {
            setFieldBits |= 1 << index
        }
    }
}

extension ReviewMetadata {
    /// Reads `metadata` into `self`, which is empty; `null` leaves it empty.
    mutating func read(from reader: inout JSONReader) throws(ReviewDecodingError) {
        let context = JSONContext("metadata")
        guard try reader.beginObject(context) else { return }
        var state = JSONObjectState()
        while let key = try reader.nextKey(&state, context) {
            if key.matches("name") {
                try reader.markKnown(0, key, &state, context)
                name = try reader.readString(JSONContext("metadata.name")) ?? ""
            } else if key.matches("namespace") {
                try reader.markKnown(1, key, &state, context)
                namespace = try reader.readString(JSONContext("metadata.namespace")) ?? ""
            } else if let index = Self.otherFieldIndex(key) {
                try reader.markOther(key, &state, context)
                let (isZero, isValid) = try Self.readValue(Self.otherFields[index].shape, &reader, context.member(key))
                record(index, isZero: isZero, isValid: isValid)
            } else {
                try reader.skipMember(key, &state, context)
            }
        }
    }

    /// Reads (and validates as JSON) one `ObjectMeta` field's value: whether it is Go's zero
    /// value for the field, and whether Go's decoder would take it (`null` always is, and zero).
    static func readValue(
        _ shape: Shape, _ reader: inout JSONReader, _ context: JSONContext
    ) throws(ReviewDecodingError) -> (isZero: Bool, isValid: Bool) {
        let first = try reader.peekByte(context)
        if first == UInt8(ascii: "n") {
            try reader.skipValue(context)
            return (true, true)
        }
        switch shape {
        case .string:
            guard first == UInt8(ascii: "\"") else { break }
            return ((try reader.readString(context) ?? "").isEmpty, true)
        case .timestamp:
            // metav1.Time: `null`, or a string that Go's time.Parse reads as RFC 3339 (so not "").
            guard first == UInt8(ascii: "\"") else { break }
            let text = try reader.readString(context) ?? ""
            return (false, isRFC3339(text))
        case .integer:
            guard first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { break }
            let start = reader.index
            try reader.skipValue(context)
            let text = UnsafeBufferPointer(start: reader.base + start, count: reader.index - start)
            // An int64: no fraction or exponent, and in range.
            let isInteger = Int64(String(decoding: text, as: UTF8.self)) != nil
            return (text.elementsEqual("0".utf8) || text.elementsEqual("-0".utf8), isInteger)
        case .stringMap:
            guard first == UInt8(ascii: "{") else { break }
            let (count, isValid) = try readMembers(&reader, context) { _, value in isStringOrNull(value) }
            return (count == 0, isValid)
        case .list, .stringList, .ownerReferences:
            guard first == UInt8(ascii: "[") else { break }
            let (count, isValid) = try readElements(&reader, context) { (reader, element) throws(ReviewDecodingError) -> Bool in
                if shape == .ownerReferences && element == UInt8(ascii: "{") {
                    // An OwnerReference: strings apiVersion, kind, name, uid; booleans controller
                    // and blockOwnerDeletion (other keys are dropped by Go's decoder).
                    return try readMembers(&reader, context) { key, value in
                        if key.matches("apiVersion") || key.matches("kind") || key.matches("name") || key.matches("uid") {
                            return isStringOrNull(value)
                        }
                        if key.matches("controller") || key.matches("blockOwnerDeletion") {
                            return value == UInt8(ascii: "t") || value == UInt8(ascii: "f") || value == UInt8(ascii: "n")
                        }
                        return true
                    }.isValid
                }
                try reader.skipValue(context)
                return shape == .stringList ? isStringOrNull(element) : element == UInt8(ascii: "{") || element == UInt8(ascii: "n")
            }
            return (count == 0, isValid)
        }
        // Another JSON type than the field's.
        try reader.skipValue(context)
        return (false, false)
    }

    /// Days in a month of the proleptic Gregorian calendar, as Go's `time.Parse` checks them.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func isStringOrNull(_ first: UInt8) -> Bool { first == UInt8(ascii: "\"") || first == UInt8(ascii: "n") }

    /// Reads an object's members (the reader at its `{`), each value skipped after `isValid`
    /// has seen its key and first byte: how many, and whether every one was valid.
    static func readMembers(
        _ reader: inout JSONReader, _ context: JSONContext, _ isValid: (JSONKey, UInt8) -> Bool
    ) throws(ReviewDecodingError) -> (count: Int, isValid: Bool) {
        _ = try reader.beginObject(context)
        var state = JSONObjectState()
        var count = 0
        var allValid = true
        while let key = try reader.nextKey(&state, context) {
            try reader.markOther(key, &state, context)
            if !isValid(key, try reader.peekByte(context)) { allValid = false }
            try reader.skipValue(context)
            count += 1
        }
        return (count, allValid)
    }

    /// Reads an array's elements (the reader at its `[`); `element` reads each one whole,
    /// given its first byte, and says whether it is valid.
    static func readElements(
        _ reader: inout JSONReader, _ context: JSONContext,
        _ element: (inout JSONReader, UInt8) throws(ReviewDecodingError) -> Bool
    ) throws(ReviewDecodingError) -> (count: Int, isValid: Bool) {
        _ = try reader.beginArray(context)
        var isFirst = true
        var count = 0
        var allValid = true
        while try reader.nextElement(&isFirst, context) {
            if !(try element(&reader, try reader.peekByte(context))) { allValid = false }
            count += 1
        }
        return (count, allValid)
    }

    /// Go's `time.Parse(time.RFC3339, text)`: `2006-01-02T15:04:05Z`, an optional fraction, `Z`
    /// or a `±hh:mm` offset, with fields in range.
    static func isRFC3339(_ text: String) -> Bool {
        let b = Array(text.utf8)
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var value = 0
            for byte in b[at..<(at + count)] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard b.count >= 20, let _ = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
            let day = digits(8, 2), b[10] == UInt8(ascii: "T"), let hour = digits(11, 2), b[13] == UInt8(ascii: ":"),
            let minute = digits(14, 2), b[16] == UInt8(ascii: ":"), let second = digits(17, 2),
            (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: digits(0, 4)!), hour < 24, minute < 60,
            second < 60
        else { return false }
        var i = 19
        if b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) { i += 1 }
            guard i > start else { return false }
        }
        guard i < b.count else { return false }
        if b[i] == UInt8(ascii: "Z") { return i + 1 == b.count }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), i + 6 == b.count, let offsetHours = digits(i + 1, 2),
            b[i + 3] == UInt8(ascii: ":"), let offsetMinutes = digits(i + 4, 2)
        else { return false }
        return offsetHours < 24 && offsetMinutes < 60
    }

    /// Writes `"metadata":{...}` the way Go's `ObjectMeta` marshals a review: `name`, `namespace`
    /// when set, then `"creationTimestamp":null`.
    func write(to writer: inout JSONWriter) {
        writer.append("\"metadata\":{")
        if !name.isEmpty {
            writer.append("\"name\":")
            writer.appendString(name)
            writer.append(",")
        }
        if !namespace.isEmpty {
            writer.append("\"namespace\":")
            writer.appendString(namespace)
            writer.append(",")
        }
        writer.append("\"creationTimestamp\":null}")
    }
}
