using PipeChat.Hosting;
using PipeChat.Protocols.Echo;

// Every option of `pipechat echo` (--port, --model, --max-connections, --metrics-port, ...), the ready line and a graceful drain.
return await PipeChatServer.RunAsync(args, EchoProtocol.Instance, defaultPort: 7007);
