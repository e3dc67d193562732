/**
 * Pulumi's own dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`), started as a process in
 * a program folder and driven over gRPC exactly as the engine drives it.
 */
import { spawn, type ChildProcess } from "child_process";
import * as path from "path";
import * as readline from "readline";

/* eslint-disable @typescript-eslint/no-require-imports -- the generated gRPC stubs are CommonJS without types */
type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface HostResult { [key: string]: unknown }

export class ProviderHost {
  private child?: ChildProcess;
  private client: Any;
  private proto: Any;
  private struct: Any;
  stderr = "";

  constructor(private readonly programDir: string) {}

  async start(env: NodeJS.ProcessEnv = {}): Promise<void> {
    const req = (m: string) => require(require.resolve(m, { paths: [this.programDir] }));
    const grpc = req("@grpc/grpc-js");
    const services = req("@pulumi/pulumi/proto/provider_grpc_pb");
    this.proto = req("@pulumi/pulumi/proto/provider_pb");
    this.struct = req("google-protobuf/google/protobuf/struct_pb");
    const script = path.join(this.programDir, "node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js");
    const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TRAVELPERK_")));
    this.child = spawn(process.execPath, [script, "127.0.0.1:1"], {
      cwd: this.programDir,
      env: { ...cleanEnv, PULUMI_PROJECT: "tp-test", PULUMI_STACK: "dev", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child.stderr!.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    const port = await new Promise<string>((resolve, reject) => {
      const lines = readline.createInterface({ input: this.child!.stdout! });
      lines.once("line", resolve);
      this.child!.once("exit", (code) => reject(new Error(`provider host exited (${code}): ${this.stderr}`)));
    });
    this.client = new services.ResourceProviderClient(`127.0.0.1:${port.trim()}`, grpc.credentials.createInsecure());
  }

  async stop(): Promise<void> {
    this.client?.close();
    this.child?.kill();
  }

  private call<T>(method: string, request: Any): Promise<T> {
    return new Promise((resolve, reject) => this.client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
  }

  private toStruct(value: object): Any {
    return this.struct.Struct.fromJavaScript(value);
  }

  async configure(variables: Record<string, string>): Promise<void> {
    const req = new this.proto.ConfigureRequest();
    req.setArgs(this.toStruct(variables));
    for (const [k, v] of Object.entries(variables)) req.getVariablesMap().set(k, v);
    await this.call("configure", req);
  }

  async check(urn: string, olds: object, news: object): Promise<{ inputs: HostResult; failures: { property: string; reason: string }[] }> {
    const req = new this.proto.CheckRequest();
    req.setUrn(urn);
    req.setOlds(this.toStruct(olds));
    req.setNews(this.toStruct(news));
    const res: Any = await this.call("check", req);
    return {
      inputs: res.getInputs()?.toJavaScript() ?? {},
      failures: res.getFailuresList().map((f: Any) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  async diff(urn: string, id: string, olds: object, news: object): Promise<{ changes: number; replaces: string[] }> {
    const req = new this.proto.DiffRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(this.toStruct(olds));
    req.setNews(this.toStruct(news));
    const res: Any = await this.call("diff", req);
    return { changes: res.getChanges(), replaces: res.getReplacesList() };
  }

  async create(urn: string, properties: object): Promise<{ id: string; properties: HostResult }> {
    const req = new this.proto.CreateRequest();
    req.setUrn(urn);
    req.setProperties(this.toStruct(properties));
    const res: Any = await this.call("create", req);
    return { id: res.getId(), properties: res.getProperties().toJavaScript() };
  }

  async read(urn: string, id: string, properties: object): Promise<{ id: string; properties: HostResult; inputs?: HostResult }> {
    const req = new this.proto.ReadRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(this.toStruct(properties));
    const res: Any = await this.call("read", req);
    return { id: res.getId(), properties: res.getProperties()?.toJavaScript() ?? {}, inputs: res.getInputs()?.toJavaScript() };
  }

  async update(urn: string, id: string, olds: object, news: object): Promise<{ properties: HostResult }> {
    const req = new this.proto.UpdateRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setOlds(this.toStruct(olds));
    req.setNews(this.toStruct(news));
    const res: Any = await this.call("update", req);
    return { properties: res.getProperties().toJavaScript() };
  }

  async delete(urn: string, id: string, properties: object): Promise<void> {
    const req = new this.proto.DeleteRequest();
    req.setUrn(urn);
    req.setId(id);
    req.setProperties(this.toStruct(properties));
    await this.call("delete", req);
  }
}

/** The DiffResponse.DiffChanges values. */
export const DIFF = { UNKNOWN: 0, NONE: 1, SOME: 2 };
