/** volume/: validated entries → a memfs volume at the codebase's virtual root, and the fs view over it. */
export { type CodebaseVolume, type MountOptions, mountVolume, type VolumeIndex } from './mount.js';
export { type CodebaseFs, createFsView, type FsViewOptions } from './view.js';
