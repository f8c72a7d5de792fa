using PipeChat.Servers;
using PipeChat.Transport;
using Xunit.Abstractions;

namespace PipeChat.Tests.Support;

/// <summary>
/// A connection model as the TCP tests run it: the async model once per socket I/O (our
/// epoll loop and the runtime's SocketAsyncEventArgs), so both get every test.
/// </summary>
public sealed class TcpModel : IXunitSerializable
{
    public TcpModel()
    {
    }

    public TcpModel(ConnectionModel model, SocketIoKind io = SocketIoKind.Auto)
    {
        Model = model;
        Io = io;
    }

    public ConnectionModel Model { get; private set; }

    public SocketIoKind Io { get; private set; }

    public static IEnumerable<TcpModel> Expand(IEnumerable<ConnectionModel> models)
    {
        foreach (var model in models)
        {
            if (model != ConnectionModel.Async)
            {
                yield return new TcpModel(model);
                continue;
            }

            if (OperatingSystem.IsLinux())
            {
                yield return new TcpModel(model, SocketIoKind.Epoll);
            }

            yield return new TcpModel(model, SocketIoKind.Saea);
        }
    }

    public static implicit operator ConnectionModel(TcpModel model) => model.Model;

    public void Deserialize(IXunitSerializationInfo info)
    {
        Model = info.GetValue<ConnectionModel>(nameof(Model));
        Io = info.GetValue<SocketIoKind>(nameof(Io));
    }

    public void Serialize(IXunitSerializationInfo info)
    {
        info.AddValue(nameof(Model), Model);
        info.AddValue(nameof(Io), Io);
    }

    public override string ToString() => Io == SocketIoKind.Auto ? Model.ToString() : $"{Model}/{Io}";
}
