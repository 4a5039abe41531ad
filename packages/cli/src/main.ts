/** Entry point of the `codesave` command; returns the exit code (0 ok, 1 user error, 2 bug). */
export async function main(argv: string[]): Promise<number> {
  console.log('codesave', argv.join(' '));
  return 0;
}
