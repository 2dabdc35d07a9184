using System.CommandLine;
using MedLedger.Cli;

var root = new RootCommand("MedLedger: a consortium blockchain for sharing medical records.")
{
    KeyCommands.Create(),
    NodeCommands.Create(),
    ChainCommands.Create(),
    UpCommand.Create(),
    BenchCommand.Create(),
};
MedicalCommands.Register(root);

return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
