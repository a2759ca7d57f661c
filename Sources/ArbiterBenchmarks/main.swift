let arguments = CommandLine.arguments
if arguments.count >= 4 && arguments[1] == "engine-count" {
    EngineBenchmark.count(directory: arguments[2], passes: Int(arguments[3])!)
} else if arguments.count >= 3 && arguments[1] == "engine" {
    EngineBenchmark.run(directory: arguments[2], seconds: arguments.count > 3 ? Double(arguments[3])! : 3)
}
