public import ArbiterPolicy

extension Decision {
    /// The decision as written in metrics labels and the decision log: `allow`, `deny` or `no_opinion`.
    public var label: String {
        switch self {
        case .allow: "allow"
        case .deny: "deny"
        case .noOpinion: "no_opinion"
        }
    }
}
