/** `provision fence < text`: any text (an error, a log) as a markdown code block that no line of it can close. */
import { fenceText } from "../../../src/report/markdown";
import { type CommandResult, ok } from "../result";

export const fenceCommand = (text: string): CommandResult => ok(`${fenceText(text)}\n`);
