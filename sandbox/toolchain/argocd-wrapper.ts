import { parseReplaces, renderGoMod, type Replace } from './gomod.ts';

export const ARGOCD_MODULE = 'github.com/argoproj/argo-cd/v3';

/**
 * Argo CD's go.mod carries `replace` directives (protobuf, grpc-gateway, x/tools, yaml and the
 * k8s.io staging block), so `go install` refuses it. The wrapper requires it and copies every
 * replace that names a version; a local-directory replace (from v3.3 on, `./gitops-engine`)
 * cannot be copied and is refused here with the reason.
 */
export function argocdReplaces(argocdGoMod: string): Replace[] {
  const all = parseReplaces(argocdGoMod);
  const local = all.filter((r) => !r.version);
  if (local.length > 0) {
    throw new Error(
      `Argo CD's go.mod replaces ${local.map((r) => `${r.from} => ${r.to}`).join(', ')} with a directory inside its own repository, ` +
        'which a wrapper module cannot reach; pick a release that uses published modules only (v3.2.x)',
    );
  }
  return all;
}

export function argocdWrapperGoMod(argocdGoMod: string, version: string, go: string): string {
  return renderGoMod({
    module: 'rebuildbench.local/argocd',
    go,
    require: [{ path: ARGOCD_MODULE, version }],
    replace: argocdReplaces(argocdGoMod),
  });
}

/** The commands the multi-call binary answers to, by the name it is called with (argv[0]) or ARGOCD_BINARY_NAME. */
export const argocdCommands = ['argocd-application-controller', 'argocd-repo-server', 'argocd-redis'] as const;
export type ArgocdCommand = (typeof argocdCommands)[number];

/**
 * main.go of the wrapper: only the application controller and the repo-server (the API server and
 * UI are not compiled), plus an in-process Redis (miniredis, already in Argo CD's module graph).
 * `argocd version` prints the release it was built from.
 */
export const argocdWrapperMain = `// Code written by rebuild-bench's toolchain: a multi-call Argo CD with what an app-of-apps sync needs.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/alicebob/miniredis/v2"
	"github.com/spf13/cobra"
	"k8s.io/klog/v2"

	appcontroller "github.com/argoproj/argo-cd/v3/cmd/argocd-application-controller/commands"
	reposerver "github.com/argoproj/argo-cd/v3/cmd/argocd-repo-server/commands"
	"github.com/argoproj/argo-cd/v3/common"
	"github.com/argoproj/argo-cd/v3/util/log"
)

func init() {
	klog.SetLogger(log.NewLogrusLogger(log.NewWithCurrentConfig()))
}

// redis serves miniredis on addr until SIGINT or SIGTERM.
func redis(addr string) error {
	s := miniredis.NewMiniRedis()
	if err := s.StartAddr(addr); err != nil {
		return err
	}
	fmt.Printf("miniredis listening on %s\\n", s.Addr())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	s.Close()
	return nil
}

func main() {
	name := filepath.Base(os.Args[0])
	if v := os.Getenv("ARGOCD_BINARY_NAME"); v != "" {
		name = v
	}
	var command *cobra.Command
	switch name {
	case "argocd-application-controller":
		command = appcontroller.NewCommand()
	case "argocd-repo-server":
		command = reposerver.NewCommand()
	case "argocd-redis":
		if len(os.Args) != 2 {
			fmt.Fprintln(os.Stderr, "usage: argocd-redis <host:port>")
			os.Exit(2)
		}
		if err := redis(os.Args[1]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	default:
		if len(os.Args) == 2 && (os.Args[1] == "version" || os.Args[1] == "--version") {
			fmt.Printf("argocd %s\\n", common.GetVersion().Version)
			return
		}
		fmt.Fprintf(os.Stderr, "unknown command %q: call as argocd-application-controller, argocd-repo-server or argocd-redis (or set ARGOCD_BINARY_NAME)\\n", name)
		os.Exit(2)
	}
	if err := command.Execute(); err != nil {
		os.Exit(1)
	}
}
`;

export function argocdLdflags(version: string): string {
  const bare = version.replace(/^v/, '');
  const pkg = `${ARGOCD_MODULE}/common`;
  return [
    '-s',
    '-w',
    `-X ${pkg}.version=${bare}`,
    `-X ${pkg}.gitTag=${version}`,
    `-X ${pkg}.gitCommit=module-${version}`,
    `-X ${pkg}.gitTreeState=clean`,
  ].join(' ');
}
