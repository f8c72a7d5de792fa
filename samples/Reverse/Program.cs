using PipeChat.Hosting;
using PipeChat.Samples.Reverse;

return await PipeChatServer.Create(new ReverseProtocol())
    .WithDescription("Reverses each line.")
    .WithDefaultPort(7100)
    .RunAsync(args);
