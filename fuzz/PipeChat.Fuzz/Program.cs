using PipeChat.Fuzz.Harnesses;
using SharpFuzz;

// "PipeChat.Fuzz HARNESS" is started by the libFuzzer driver (fuzz/driver), which feeds inputs through
// shared memory; coverage comes from the sharpfuzz-instrumented PipeChat.Core.dll.
// "PipeChat.Fuzz seed DIR" writes the hand-made seeds into DIR/HARNESS/.
// "PipeChat.Fuzz replay HARNESS FILE..." runs inputs once each (a crash file, with its stack trace).
if (args is ["seed", string directory])
{
    foreach (var (harness, name, input) in SeedCorpus.All())
    {
        Directory.CreateDirectory(Path.Combine(directory, harness));
        await File.WriteAllBytesAsync(Path.Combine(directory, harness, "seed-" + name), input).ConfigureAwait(false);
    }

    return 0;
}

if (args is ["replay", string replayName, .. var files] && Harnesses.All.TryGetValue(replayName, out Harnesses.Target? replayed))
{
    foreach (string file in files)
    {
        replayed(await File.ReadAllBytesAsync(file).ConfigureAwait(false));
        Console.WriteLine($"{file}: ok");
    }

    return 0;
}

if (args.Length != 1 || !Harnesses.All.TryGetValue(args[0], out Harnesses.Target? target))
{
    await Console.Error.WriteLineAsync($"usage: PipeChat.Fuzz {string.Join('|', Harnesses.All.Keys)} | seed DIR | replay HARNESS FILE...").ConfigureAwait(false);
    return 2;
}

Fuzzer.LibFuzzer.Run(span => target(span));
return 0;
