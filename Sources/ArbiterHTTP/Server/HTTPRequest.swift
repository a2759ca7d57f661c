/// One HTTP request, complete with its body, as the transport hands it to a ``Responder``.
///
/// The transport knows nothing of Kubernetes: it parses, enforces limits and hands over values.
public struct HTTPRequest: Sendable {
    public enum ProtocolVersion: String, Sendable {
        case http1_1 = "HTTP/1.1"
        case http2 = "HTTP/2"
    }

    /// The method as sent (`POST`, `GET`, ...); HTTP methods are case-sensitive.
    public var method: String
    /// The path without the query (`/authorize`), exactly as sent (no normalisation).
    public var path: String
    /// The query without the `?`, or `""`.
    public var query: String
    /// Header fields in arrival order; names are lower-cased by the transport.
    ///
    /// For HTTP/1.1 the fields stay the bytes that arrived until this property is read, and every
    /// read builds the `String`s anew: prefer ``header(_:)`` or ``hasHeader(_:value:)`` for one field.
    public var headers: [(name: String, value: String)] {
        get {
            self.fieldBlock.bytes.isEmpty ? self.fieldList : self.fieldBlock.fields.map { (name: $0.name, value: $0.value) }
        }
        set {
            self.fieldList = newValue
            self.fieldBlock = .empty
        }
    }
    public var body: [UInt8]
    /// The verified client certificate's identity, or `nil` without client authentication.
    public var peer: PeerIdentity?
    public var protocolVersion: ProtocolVersion

    /// Where the header fields are: the validated bytes of an HTTP/1.1 head, read on demand, or
    /// (when those are empty) a list of strings (HTTP/2, tests). Two plain properties rather than
    /// an enum: a multi-payload enum of these is copied and destroyed through runtime witnesses.
    var fieldList: [(name: String, value: String)]
    var fieldBlock: HTTP1FieldBlock

    public init(
        method: String, path: String, query: String = "", headers: [(name: String, value: String)] = [],
        body: [UInt8] = [], peer: PeerIdentity? = nil, protocolVersion: ProtocolVersion = .http1_1
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.fieldList = headers
        self.fieldBlock = .empty
        self.body = body
        self.peer = peer
        self.protocolVersion = protocolVersion
    }

    /// A request from a validated HTTP/1.1 head, without turning its fields into strings.
    init(
        method: String, path: String, query: String, fieldBlock: HTTP1FieldBlock, body: [UInt8], peer: PeerIdentity?
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.fieldList = []
        self.fieldBlock = fieldBlock
        self.body = body
        self.peer = peer
        self.protocolVersion = .http1_1
    }

    /// Every value of a header field sent on several lines, by lower-case name, in order.
    public func headerValues(_ lowercasedName: String) -> [String] {
        guard self.fieldBlock.bytes.isEmpty else { return self.fieldBlock.values(named: lowercasedName) }
        // Asked on every request, where the field is almost always absent: names of another
        // length are passed over without copying them, the others compared as bytes.
        var values: [String] = []
        let length = lowercasedName.utf8.count
        self.fieldList.withUnsafeBufferPointer { fields in
            for index in fields.indices
            where fields[index].name.utf8.count == length && Self.sameBytes(fields[index].name, lowercasedName) {
                values.append(fields[index].value)
            }
        }
        return values
    }

    /// The first value of a header field, by lower-case name.
    public func header(_ lowercasedName: String) -> String? {
        guard self.fieldBlock.bytes.isEmpty else { return self.fieldBlock.value(named: lowercasedName) }
        for field in self.fieldList where field.name == lowercasedName {
            return field.value
        }
        return nil
    }

    /// True when the first field named `lowercasedName` has exactly the bytes of `value` (no
    /// case folding, no canonical equivalence); cheaper than ``header(_:)``, which makes a `String`.
    public func hasHeader(_ lowercasedName: String, value: String) -> Bool {
        guard self.fieldBlock.bytes.isEmpty else { return self.fieldBlock.hasValue(named: lowercasedName, equalTo: value) }
        for field in self.fieldList where Self.sameBytes(field.name, lowercasedName) {
            return Self.sameBytes(field.value, value)
        }
        return false
    }

    /// Byte equality of two strings' UTF-8 (the generic `elementsEqual` over two UTF-8 views cost
    /// about a thousand instructions per call on the HTTP/2 path).
    @inline(__always)
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        var a = a
        return a.withUTF8 { ASCII.sameBytes(UnsafeRawBufferPointer($0), b) }
    }
}
