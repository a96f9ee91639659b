import ReelCommands

@main
struct Entrypoint {
    static func main() async {
        await ReelMain.main()
    }
}
