/** The environment variable naming the run's scratch directory. */
export declare const RUN_DIR_VARIABLE: string;
export default function globalSetup(): void;
